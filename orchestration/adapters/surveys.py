"""What the Qualtrics and Delighted adapters share: one survey response per row of ``_src``
(its fields already picked by ``mappings/surveys.csv``) into ``survey_responses``, the account
resolved as for every adapter (``adapters.accounts``: the mapped account field through
``mappings/account_map.csv``, else the contact through it; none = ``unmapped_account``).

``_src`` columns: ``_row_number``, ``_line_number``, ``line``, ``_bad`` (the record could not be
read), ``_cand`` (the account field's value), ``_user`` (the contact), ``s_*`` (the response's
contract fields as text) and ``s_problem`` (a source-level problem, e.g. an unmapped question:
then the account is not looked for, as the mapping that names its field is what is missing).
"""

from __future__ import annotations

from orchestration.adapters.accounts import resolved_sql

SRC_COLUMNS = (
    "_row_number bigint, _line_number bigint, line varchar, _bad varchar, _cand varchar, _user varchar, "
    "s_response_id varchar, s_invitation_id varchar, s_survey_id varchar, s_survey_type varchar, "
    "s_touchpoint varchar, s_score varchar, s_comment varchar, s_responded_at varchar, s_problem varchar"
)


def responses_sql(source: str, account_label: str) -> str:
    return f"""
        select s_response_id as response_id, s_invitation_id as invitation_id, s_survey_id as survey_id,
               s_survey_type as survey_type, s_touchpoint as touchpoint, _account as account_id,
               _user as contact_id, s_score as score, s_comment as comment, s_responded_at as responded_at,
               _row_number, _line_number,
               nullif(case when _bad is not null then _bad
                           else coalesce(s_problem, _account_problem) end, '') as _reason
        from ({resolved_sql(source, "select * from _src", account_label)})
    """
