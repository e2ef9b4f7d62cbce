"""Voice of the customer (issue 17): the Python the comment models call."""
