"""The JQL tokenizer and parser: the syntax ticketflow sends, and Jira's wording for mistakes."""

from __future__ import annotations

import pytest

from connector.sandbox.jira.jql import BoolOp, Clause, JqlError, Not, Value, parse, tokenize


def test_poll_query_parses_into_clauses_and_order() -> None:
    """The adapter's poll query becomes an AND of two clauses plus its ORDER BY."""
    query = parse('project = HELP AND updated >= "2026/11/26 10:15" ORDER BY updated ASC, key')
    assert query.where == BoolOp("and", (
        Clause("project", "=", (Value("HELP"),), 1),
        Clause("updated", ">=", (Value("2026/11/26 10:15", quoted=True),), 20)))
    assert query.order == (("updated", False), ("key", False))


def test_and_binds_tighter_than_or_and_parentheses_group() -> None:
    """`a OR b AND c` is `a OR (b AND c)`; parentheses override; NOT applies to one term."""
    query = parse("key = A-1 OR status = Done AND NOT (status = X OR id = 3)")
    assert isinstance(query.where, BoolOp) and query.where.op == "or"
    right = query.where.children[1]
    assert isinstance(right, BoolOp) and right.op == "and"
    assert isinstance(right.children[1], Not)


@pytest.mark.parametrize(("text", "op", "values"), [
    ("status in (Done, 'In Progress')", "in", ("Done", "In Progress")),
    ("status not in (Done)", "not in", ("Done",)),
    ("status != Done", "!=", ("Done",)),
    ("created < 1764151200000", "<", ("1764151200000",)),
    ("key IN (HELP-1,HELP-2)", "in", ("HELP-1", "HELP-2")),
    ("assignee is EMPTY", "is", ("EMPTY",)),
    ("assignee is not null", "is not", ("NULL",)),
])
def test_operators(text: str, op: str, values: tuple[str, ...]) -> None:
    """Every JQL operator form parses, keywords in any case."""
    clause = parse(text).where
    assert isinstance(clause, Clause)
    assert clause.op == op
    assert tuple(v.text for v in clause.values) == values


def test_keywords_are_case_insensitive_and_symbols_work() -> None:
    """`and`/`Or`/`&&`/`||` and `order by ... desc` are all accepted."""
    query = parse("project = HELP and status = Done || key = HELP-1 order by created desc")
    assert isinstance(query.where, BoolOp) and query.where.op == "or"
    assert query.order == (("created", True),)
    both = parse("a = 1 && b = 2").where
    assert isinstance(both, BoolOp) and both.op == "and" and len(both.children) == 2


def test_quoted_strings_keep_spaces_and_escapes() -> None:
    """Both quote styles work and a backslash escapes the quote."""
    clause = parse(r'status = "Won\"t Do"').where
    assert isinstance(clause, Clause)
    assert clause.values[0] == Value('Won"t Do', quoted=True)


def test_functions_are_recognised_as_such() -> None:
    """A call like currentUser() is marked as a function, to be refused later."""
    clause = parse("assignee = currentUser()").where
    assert isinstance(clause, Clause)
    assert clause.values[0].function


def test_order_by_only_has_no_restriction() -> None:
    """A query that only sorts parses with no where-clause (enhanced search refuses it)."""
    assert parse("ORDER BY key DESC").where is None
    assert parse("").where is None


@pytest.mark.parametrize(("text", "message"), [
    ("project = HELP foo", "Expecting either 'OR' or 'AND' but got 'foo'. (line 1, character 16)"),
    ("project HELP", "Expecting operator but got 'HELP'."),
    ('summary = "open', "The quoted string 'open' has not been completed. (line 1, character 11)"),
    ("status in Done", "Expecting '(' but got 'Done'."),
    ("status = ", "Expecting either a value, list or function but got '<EOF>'."),
    ("(status = A", "Expecting ')' but got ''."),
    ("ORDER key", "Expecting 'by' but got 'key'."),
    ("a = 1 & b = 2", "The character '&' is a reserved JQL character."),
])
def test_syntax_errors_read_like_jira(text: str, message: str) -> None:
    """Mistakes raise JqlError with Jira's 'Error in the JQL Query: ...' wording."""
    with pytest.raises(JqlError) as raised:
        parse(text)
    assert str(raised.value).startswith("Error in the JQL Query: ")
    assert message in str(raised.value)


def test_tokens_carry_positions() -> None:
    """Positions are 1-based characters, as Jira reports them."""
    kinds = [(t.kind, t.text, t.pos) for t in tokenize("key!=A-1")]
    assert kinds == [("word", "key", 1), ("op", "!=", 4), ("word", "A-1", 6), ("eof", "", 9)]
