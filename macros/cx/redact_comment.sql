{#-
    Personal data in free text, redacted in staging (issue 17 §1): the patterns, in the order
    they run, each replaced by its placeholder. Order matters: a URL can hold an email address
    or digits, an IBAN and a card number hold digit runs a national phone pattern would also
    take, so the wider kinds go first, but an international number (+49 151 12345678) goes
    before cards, whose digit-run pattern would otherwise take it. No placeholder holds a
    digit or an @, so a later pattern never matches an earlier placeholder.

    The patterns use only what RE2 (DuckDB), PostgreSQL's AREs and Java (Spark) read alike:
    no word boundaries (\b is a backspace in PostgreSQL), no look-around (RE2 has none), no
    back-references. A phone number is 9 to 12 digits with at most two separators ( ) . - or
    space between digits (or + and 7 to 15 digits): dates (8 digits) and prices survive, a
    bare 7-digit local number does too (without its area code it names nobody), and a 9- to
    12-digit order number becomes [phone]: over-redacting is the safe side.
-#}
{% macro comment_redactions() -%}
    {{- return([
        ('url', '(https?|ftp)://\\S+|www[.]\\S+'),
        ('email', '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+([.][A-Za-z0-9-]+)*[.][A-Za-z]{2,}'),
        ('iban', '[A-Z]{2}[0-9]{2}( ?[A-Z0-9]{4}){3,7}( ?[A-Z0-9]{1,3})?'),
        ('phone', '[+][1-9]([ ().-]{0,2}[0-9]){6,14}'),
        ('card', '[0-9]([ -]?[0-9]){12,18}'),
        ('phone', '[(]?[0-9]([ ().-]{0,2}[0-9]){8,11}'),
    ]) -}}
{%- endmacro %}

{#- What counts as no comment: after trimming, lower-cased, one of these (issue 17 §1). -#}
{% macro no_comment_values() -%}
    {{- return(['', '-', '--', '.', '...', '/', 'n/a', 'n.a.', 'na', 'none', 'nil', 'null', 'no', 'nope',
                'no comment', 'no comments', 'nothing', 'nothing to add', 'x']) -}}
{%- endmacro %}

{#- Every match of `pattern` in `text` replaced by `replacement` (dispatched: engines differ on
    the "all matches" flag and on how a string literal reads a backslash). -#}
{% macro regex_replace_all(text, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace_all', 'cxcs')(text, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regex_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{% macro spark__regex_replace_all(text, pattern, replacement) -%}
    {#- Spark replaces every match, and its string literals read \ as an escape: double it. -#}
    regexp_replace({{ text }}, '{{ pattern | replace("\\", "\\\\") }}', '{{ replacement }}')
{%- endmacro %}

{#- How many times `token` occurs in `text` (portable: lengths, no regex). -#}
{% macro count_occurrences(text, token) -%}
    cast((length({{ text }}) - length(replace({{ text }}, '{{ token }}', ''))) / {{ token | length }} as {{ dbt.type_int() }})
{%- endmacro %}

{#- `text` with personal data replaced by its placeholders (the patterns of comment_redactions,
    in their order), spaces trimmed, and a no-comment value (no_comment_values) null: the one
    expression a staging model applies to free text it passes on. -#}
{% macro redacted_free_text(text) -%}
    {%- set trimmed = regex_replace_all(text, '^\\s+|\\s+$', '') -%}
    {%- set ns = namespace(text=trimmed) -%}
    {%- for kind, pattern in comment_redactions() -%}
        {%- set ns.text = regex_replace_all(ns.text, pattern, '[' ~ kind ~ ']') -%}
    {%- endfor -%}
    case
        when lower({{ trimmed }}) not in (
            {%- for value in no_comment_values() %}'{{ value }}'{{ ', ' if not loop.last }}{% endfor -%}
        ) then {{ ns.text }}
    end
{%- endmacro %}
