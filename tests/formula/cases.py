"""Formulas with their values on the FULL and the EMPTY test record, and where each value comes
from.

CASES follow Airtable's formula field reference (support.airtable.com, "Formula field
reference"): each names the examples and rules it follows, quoted in REFERENCE. The rules are
quoted as pyAirtable 3.5 reproduces the reference in its generated function docstrings
(pyairtable/formulas.py, "all formula functions as of Dec '23"); the operators and a few
sentences pyAirtable leaves out, and the examples, as public copies of the page reproduce them.

OUR_DECISIONS are the cases that rest, in whole or in part, on what the reference does not say
(how blanks compare, dividing by zero, a cycle of formula fields...). They cite OUR_RULES, and
REFERENCE for any part that is documented. They pin our behaviour and claim nothing about
Airtable's.

Values are as Airtable's API shows them, and their JSON type is checked as well as their value:
a number (int or float; TRUE and FALSE show as 1 and 0), a text (str; dates as the Web API
shows them, ISO 8601 in UTC), null (None), an array (list), or an object (ERROR, NAN).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ERROR = {"error": "#ERROR!"}
NAN = {"specialValue": "NaN"}

# What the reference says, by the key the cases cite.
REFERENCE: dict[str, str] = {
    # The introduction.
    "field references": "In a formula, you can reference fields (columns) by name. [...] Field "
    "names with multiple words must be wrapped in curly braces: MIN({Regular Price}, {Sale "
    "Price})",
    "Price * Quantity": "if you wanted a formula that calculated a total based on your Price and "
    "Quantity fields, that would look something like: Price * Quantity",
    "parentheses": "Formulas may include parentheses () to change the order of operations: "
    "(Apples + Oranges) / Guests",
    # Operators.
    "+": "Numeric operators: + Add together two numeric values",
    "-": "Numeric operators: - Subtract two numeric values",
    "*": "Numeric operators: * Multiply two numeric values",
    "/": "Numeric operators: / Divide two numeric values",
    ">": "Logical operators: > Greater than",
    "<": "Logical operators: < Less than",
    ">=": "Logical operators: >= Greater than or equal to",
    "<=": "Logical operators: <= Less than or equal to",
    "=": "Logical operators: = Equal to",
    "!=": "Logical operators: != Not equal to",
    "&": "CONCATENATE(): Joins together the text arguments into a single text value. [...] "
    "Equivalent to use of the & operator.",
    "escapes": "CONCATENATE(): To concatenate double quotation marks, you need to use a backslash "
    "(\\) as an escape character.",
    # Text functions.
    "CONCATENATE": "Joins together the text arguments into a single text value.",
    "CONCATENATE example": 'CONCATENATE("Bob", " - ", 43) => Bob - 43',
    "ENCODE_URL_COMPONENT": "Replaces certain characters with encoded equivalents for use in "
    "constructing URLs or URIs. Does not encode the following characters: -_.~",
    "ENCODE_URL_COMPONENT example": 'ENCODE_URL_COMPONENT("chicken & waffles") => '
    "chicken%20%26%20waffles",
    "FIND": "Finds an occurrence of stringToFind in whereToSearch string starting from an "
    "optional startFromPosition.(startFromPosition is 0 by default.) If no occurrence of "
    "stringToFind is found, the result will be 0.",
    "FIND example": 'FIND("fox", "quick brown fox") => 13',
    "LEFT": "Extract how many characters from the beginning of the string.",
    "LEFT example": 'LEFT("quick brown fox", 5) => quick',
    "LEN": "Returns the length of a string.",
    "LEN example": 'LEN("quick brown fox") => 15',
    "LOWER": "Makes a string lowercase.",
    "LOWER example": 'LOWER("Hello!") => hello!',
    "MID": "Extract a substring of count characters starting at whereToStart.",
    "REPLACE": "Replaces the number of characters beginning with the start character with the "
    "replacement text.",
    "REPLACE example": 'REPLACE("database", 2, 5, "o") => dose',
    "REPT": "Repeats string by the specified number of times.",
    "REPT example": 'REPT("Hi! ", 3) => Hi! Hi! Hi!',
    "RIGHT": "Extract howMany characters from the end of the string.",
    "RIGHT example": 'RIGHT("quick brown fox", 5) => n fox',
    "SEARCH": "Searches for an occurrence of stringToFind in whereToSearch string starting from "
    "an optional startFromPosition. (startFromPosition is 0 by default.) If no occurrence of "
    "stringToFind is found, the result will be empty.",
    "SEARCH example": 'SEARCH("World", "Hello World") => 7',
    "SUBSTITUTE": "Replaces occurrences of old_text in string with new_text. You can optionally "
    "specify an index number (starting from 1) to replace just a specific occurrence of "
    "old_text. If no index number is specified, then all occurrences of old_text will be "
    "replaced.",
    "SUBSTITUTE example": 'SUBSTITUTE("gold mold", "old", "et") => get met',
    "T": "Returns the argument if it is text and blank otherwise.",
    "TRIM": "Removes whitespace at the beginning and end of string.",
    "TRIM example": 'TRIM(" Hello! ") => Hello!',
    "UPPER": "Makes string uppercase.",
    "UPPER example": 'UPPER("Hello!") => HELLO!',
    "VALUE": "Converts the text string to a number.",
    "REGEX_MATCH": "Returns whether the input text matches a regular expression.",
    "REGEX_MATCH example": 'REGEX_MATCH("Hello World", "Hello.World") => 1',
    "REGEX_EXTRACT": "Returns the first substring that matches a regular expression.",
    "REGEX_EXTRACT example": 'REGEX_EXTRACT("Hello World", "W.*") => "World"',
    "REGEX_REPLACE": "Substitutes all matching substrings with a replacement string value.",
    "REGEX_REPLACE example": 'REGEX_REPLACE("Hello World", " W.*", "") => "Hello"',
    # Logical functions.
    "AND": "Returns true if all the arguments are true, returns false otherwise.",
    "OR": "Returns true if any one of the arguments is true.",
    "BLANK": "Returns a blank value.",
    "ERROR": "Returns a generic Error value (#ERROR!).",
    "FALSE": "Logical value false. False is represented numerically by a 0.",
    "IF": "Returns value1 if the logical argument is true, otherwise it returns value2. [...] "
    "Can also be used to check if a cell is blank/is empty.",
    "ISERROR": "Returns true if the expression causes an error.",
    "SWITCH": "Takes an expression, a list of possible values for that expression, and for each "
    "one, a value that the expression should take in that case. It can also take a default "
    "value if the expression input doesn't match any of the defined patterns.",
    "TRUE": "Logical value true. The value of true is represented numerically by a 1.",
    "XOR": "Returns true if an odd number of arguments are true.",
    # Numeric functions.
    "ABS": "Returns the absolute value.",
    "AVERAGE": "Returns the average of the numbers.",
    "CEILING": "Returns the nearest integer multiple of significance that is greater than or "
    "equal to the value. If no significance is provided, a significance of 1 is assumed.",
    "COUNT": "Count the number of numeric items.",
    "COUNTA": "Count the number of non-empty values. This function counts both numeric and text "
    "values.",
    "COUNTALL": "Count the number of all elements including text and blanks.",
    "EVEN": "Returns the smallest even integer that is greater than or equal to the specified "
    "value.",
    "EXP": "Computes Euler's number (e) to the specified power.",
    "FLOOR": "Returns the nearest integer multiple of significance that is less than or equal to "
    "the value. If no significance is provided, a significance of 1 is assumed.",
    "INT": "Returns the greatest integer that is less than or equal to the specified value.",
    "LOG": "Computes the logarithm of the value in provided base. The base defaults to 10 if not "
    "specified.",
    "MAX": "Returns the largest of the given numbers.",
    "MIN": "Returns the smallest of the given numbers.",
    "MOD": "Returns the remainder after dividing the first argument by the second.",
    "ODD": "Rounds positive value up the the nearest odd number and negative value down to the "
    "nearest odd number.",
    "POWER": "Computes the specified base to the specified power.",
    "ROUND": 'Rounds the value to the number of decimal places given by "precision." '
    "(Specifically, ROUND will round to the nearest integer at the specified precision, with "
    "ties broken by rounding half up toward positive infinity.)",
    "ROUNDDOWN": 'Rounds the value to the number of decimal places given by "precision," always '
    "rounding down, i.e., toward zero.",
    "ROUNDUP": 'Rounds the value to the number of decimal places given by "precision," always '
    "rounding up, i.e., away from zero.",
    "SQRT": "Returns the square root of a nonnegative number.",
    "SUM": "Sum together the numbers. Equivalent to number1 + number2 + ...",
    # Date and time functions.
    "DATEADD": 'Adds specified "count" units to a datetime.',
    "DATEADD example": 'DATEADD("07/10/19", 10, "days") => 2019-07-20',
    "DATESTR": "Formats a datetime into a string (YYYY-MM-DD).",
    "DATESTR example": 'DATESTR("12/13/21") => 2021-12-13',
    "DATETIME_DIFF": "Returns the difference between datetimes in specified units. The "
    "difference between datetimes is determined by subtracting [date2] from [date1].",
    "DATETIME_DIFF example": 'DATETIME_DIFF("04/06/2019 12:00", "04/05/2019 11:00", "hours") => 25',
    "DATETIME_FORMAT": "Formats a datetime into a specified string.",
    "DATETIME_PARSE": "Interprets a text string as a structured date, with optional input format "
    "and locale parameters.",
    "DAY": "Returns the day of the month of a datetime in the form of a number between 1-31.",
    "DAY example": 'DAY("02/17/2013") => 17',
    "HOUR": "Returns the hour of a datetime as a number between 0 (12:00am) and 23 (11:00pm).",
    "HOUR example": 'HOUR("4 Mar 2017 7:00") => 7',
    "IS_AFTER": "Determines if [date1] is later than [date2]. Returns 1 if yes, 0 if no.",
    "IS_AFTER example": 'IS_AFTER("1/1/1979", "1/1/2000") => 0',
    "IS_BEFORE": "Determines if [date1] is earlier than [date2]. Returns 1 if yes, 0 if no.",
    "IS_BEFORE example": 'IS_BEFORE("1/1/1979", "1/1/2000") => 1',
    "IS_SAME": "Compares two dates up to a unit and determines whether they are identical. "
    "Returns 1 if yes, 0 if no.",
    "IS_SAME example": 'IS_SAME("1/1/1979", "1/1/1979") => 1',
    "MINUTE": "Returns the minute of a datetime as an integer between 0 and 59.",
    "MINUTE example": 'MINUTE("02/17/2013 7:31") => 31',
    "MONTH": "Returns the month of a datetime as a number between 1 (January) and 12 (December).",
    "MONTH example": 'MONTH("02/17/2013 7:31") => 2',
    "SECOND": "Returns the second of a datetime as an integer between 0 and 59.",
    "SECOND example": 'SECOND("02/17/2013 7:31:25") => 25',
    "SET_TIMEZONE": "Sets a specific timezone for a datetime. Must be used in conjunction with "
    "DATETIME_FORMAT.",
    "SET_TIMEZONE example": 'DATETIME_FORMAT(SET_TIMEZONE("07/10/19 13:00", "Australia/Sydney"), '
    '"M/D/YYYY h:mm") => 7/10/2019 11:00',
    "TIMESTR": "Formats a datetime into a time-only string (HH:mm:ss).",
    "WEEKDAY": "Returns the day of the week as an integer between 0 (Sunday) and 6 (Saturday). "
    'You may optionally provide a second argument (either "Sunday" or "Monday") to start weeks '
    "on that day. If omitted, weeks start on Sunday by default.",
    "WEEKDAY example": 'WEEKDAY("2021-06-09") => 3 (for Wednesday)',
    "WEEKNUM": "Returns the week number in a year. You may optionally provide a second argument "
    '(either "Sunday" or "Monday") to start weeks on that day. If omitted, weeks start on '
    "Sunday by default.",
    "WEEKNUM example": 'WEEKNUM("02/17/2013") => 8',
    "WORKDAY": "Returns a date that is numDays working days after startDate. Working days "
    "exclude weekends and an optional list of holidays, formatted as a comma-separated string "
    "of ISO-formatted dates.",
    "WORKDAY_DIFF": "Counts the number of working days between startDate and endDate. Working "
    "days exclude weekends and an optional list of holidays, formatted as a comma-separated "
    "string of ISO-formatted dates.",
    "YEAR": "Returns the four-digit year of a datetime.",
    "YEAR example": 'YEAR("2021-06-09") => 2021',
    # Array and record functions.
    "ARRAYCOMPACT": 'Removes empty strings and null values from the array. Keeps "false" and '
    "strings that contain one or more blank characters.",
    "ARRAYFLATTEN": "Flattens the array by removing any array nesting. All items become elements "
    "of a single array.",
    "ARRAYJOIN": "Join the array of items into a string with a separator.",
    "ARRAYUNIQUE": "Returns only unique items in the array.",
    "CREATED_TIME": "Returns the date and time a given record was created.",
    "LAST_MODIFIED_TIME": "Returns the date and time of the most recent modification made by a "
    "user in a non-computed field in the table.",
    "RECORD_ID": "Returns the ID of the current record.",
}

# What we decided where the reference is silent, by the key OUR_DECISIONS cite.
OUR_RULES: dict[str, str] = {
    "precedence": "operators bind as in JavaScript, loosest first: comparisons, &, + and -, * "
    "and /, unary minus; operators of one level apply left to right",
    "literals": "numbers may be written with an exponent (1e3); in text, \\n, \\t and \\r are "
    "a newline, a tab and a return, and \\ escapes any other character, quotes included",
    "numbers": "numbers are IEEE doubles and are shown as JavaScript shows them",
    "coercion": 'in arithmetic, text that reads as a number is that number ("3" + 1 is 4) and '
    "other text is an error; = compares a number with text that reads as one",
    "text order": "text compares case-sensitively, by code point",
    "division by zero": "dividing by zero (/ or MOD) is an error",
    "blanks": 'a blank (an empty cell, BLANK()) is 0 in arithmetic and "" in text, and equals '
    '0, "" and another blank',
    "blank dates": "a date function of a blank date is blank; a blank date equals only another "
    'blank, compares with text as "" does, and is never before or after a date',
    "checkboxes": "a checked checkbox is TRUE (1) and an unchecked one FALSE (0)",
    "field ids": "a field may be named by its id ({fldXXXXXXXXXXXXXX}) as well as by its name",
    "formula fields": "a formula field is its formula's value; a formula field in a cycle is an "
    "error",
    "truthiness": 'IF, AND, OR, NOT and XOR take 0, "" and a blank as false and any other '
    "number or text as true; TRUE and FALSE may be written without parentheses",
    "MID from 1": "MID counts from 1, as FIND and SEARCH do (the reference's example, "
    'MID("quick brown fox", 6, 5) => brown, counts from 0, and is not followed)',
    "text functions": "a negative count (LEFT, RIGHT, MID, REPT) is an error; SUBSTITUTE's "
    "index counts occurrences; FIND and SEARCH count positions from 1",
    "VALUE cleaning": "VALUE() drops currency signs and thousands separators",
    "regex replacement": "REGEX_REPLACE's replacement names groups as $1, $2...",
    "EVEN away from zero": "EVEN rounds away from zero, as ODD does: EVEN(-1) is -2 (the "
    "reference's words, 'greater than or equal to', would make it 0)",
    "rounding": "ROUND without a precision rounds to a whole number; MOD keeps the dividend's "
    "sign (as JavaScript's %); the square root of a negative number is NaN; LOG10 is LOG in "
    "base 10",
    "aggregates": "SUM, MAX, MIN and AVERAGE skip blanks and text; MAX and MIN of nothing are 0",
    "SWITCH without a match": "SWITCH without a match and without a default is blank; a blank "
    "matches BLANK()",
    "errors spread": "an error in IF's condition makes IF an error",
    "dates": "dates are shown in UTC as YYYY-MM-DDTHH:mm:ss.sssZ; text in ISO form compares "
    "with dates as a date; unit names are moment.js's; DATEADD by months keeps the day where "
    "it can and else takes the month's last",
    "date formats": "DATETIME_FORMAT and DATETIME_PARSE take moment.js's format tokens, in "
    "English; DATETIME_PARSE of text that does not match its format is an error",
    "date parts": "DATETIME_DIFF counts whole units, cut toward zero, in seconds by default; "
    "WEEKNUM counts the week holding January 1 as week 1; WORKDAY_DIFF counts both ends",
    "time zones": "SET_TIMEZONE keeps the instant (it is shown the same in the API) and moves "
    "the wall clock that date functions read",
    "now": "NOW() and TODAY() are the time of the evaluation; TONOW and FROMNOW count whole "
    "days either way",
    "arrays": "an array in text is its items joined by ', '; ARRAYJOIN's separator defaults "
    "to ', '; ARRAYSLICE counts from 1, its end included, negative positions from the end",
    "record metadata": "CREATED_TIME(), LAST_MODIFIED_TIME() and RECORD_ID() are the record's "
    "own, to the millisecond",
}


@dataclass(frozen=True)
class Case:
    formula: str
    full: Any  # the value on FULL
    empty: Any  # the value on EMPTY
    sources: tuple[str, ...]  # keys of REFERENCE (and, for OUR_DECISIONS, of OUR_RULES)


_SAME = object()


def case(formula: str, full: Any, *sources: str, empty: Any = _SAME) -> Case:
    """A case; `empty` defaults to `full`, for formulas that read no field."""
    return Case(formula, full, full if empty is _SAME else empty, sources)


# Airtable's documented examples and rules.
CASES: list[Case] = [
    # Operators.
    case("(1 + 2) * 3", 9, "parentheses"),
    case("2 + 3", 5, "+"),
    case("7 - 2", 5, "-"),
    case("2 * 3", 6, "*"),
    case("10 / 4", 2.5, "/"),
    case("3 > 2", 1, ">", "TRUE"),
    case("3 < 2", 0, "<", "FALSE"),
    case("2 >= 2", 1, ">=", "TRUE"),
    case("2 <= 1", 0, "<=", "FALSE"),
    case("2 != 3", 1, "!=", "TRUE"),
    case("2 = 2.0", 1, "=", "TRUE"),
    case('"a" & "b"', "ab", "&"),
    case('"\\"" & "Bob" & "\\""', '"Bob"', "escapes", "&"),
    case("TRUE() + 1", 2, "TRUE", "+"),
    case("FALSE() * 5", 0, "FALSE", "*"),
    case("TRUE()", 1, "TRUE"),
    case("FALSE()", 0, "FALSE"),
    # Fields. An empty cell is blank (IF: "check if a cell is blank/is empty").
    case("Price", 19.99, "field references", "IF", empty=None),
    case("{Name}", "Widget Pro", "field references", "IF", empty=None),
    case("{Notes}", None, "field references", "IF"),
    case("Due", "2024-03-15T00:00:00.000Z", "field references", "IF", empty=None),
    case("{Auto}", 7, "field references", empty=8),
    case("{Auto} > 5", 1, "field references", ">"),
    # Text.
    case('CONCATENATE("Bob", " - ", 43)', "Bob - 43", "CONCATENATE example"),
    case('CONCATENATE("Bob", " ", "Smith")', "Bob Smith", "CONCATENATE"),
    case('LEN("quick brown fox")', 15, "LEN example"),
    case('LEN("quick")', 5, "LEN"),
    case('LEFT("quick brown fox", 5)', "quick", "LEFT example"),
    case('RIGHT("quick brown fox", 5)', "n fox", "RIGHT example"),
    case('RIGHT("quick brown fox", 3)', "fox", "RIGHT"),
    case('FIND("fox", "quick brown fox")', 13, "FIND example"),
    case('FIND("cat", "quick brown fox")', 0, "FIND"),
    case('SEARCH("World", "Hello World")', 7, "SEARCH example"),
    case('SEARCH("cat", "quick brown fox")', None, "SEARCH"),
    case('SUBSTITUTE("gold mold", "old", "et")', "get met", "SUBSTITUTE example"),
    case('SUBSTITUTE("gold mold", "old", "et", 2)', "gold met", "SUBSTITUTE"),
    case('REPLACE("database", 2, 5, "o")', "dose", "REPLACE example"),
    case('REPLACE("quick brown fox", 7, 5, "white")', "quick white fox", "REPLACE"),
    case('LOWER("Hello!")', "hello!", "LOWER example"),
    case('UPPER("Hello!")', "HELLO!", "UPPER example"),
    case('LOWER("Hello World")', "hello world", "LOWER"),
    case('UPPER("Hello World")', "HELLO WORLD", "UPPER"),
    case('TRIM(" Hello! ")', "Hello!", "TRIM example"),
    case('TRIM("  hi there ")', "hi there", "TRIM"),
    case('REPT("Hi! ", 3)', "Hi! Hi! Hi! ", "REPT example"),
    case('REPT("ab", 3)', "ababab", "REPT"),
    case('T("text")', "text", "T"),
    case("T(42)", None, "T"),
    case('VALUE("3.5")', 3.5, "VALUE"),
    case('ENCODE_URL_COMPONENT("chicken & waffles")', "chicken%20%26%20waffles",
         "ENCODE_URL_COMPONENT example"),
    case('ENCODE_URL_COMPONENT("a-b_c.d~e f")', "a-b_c.d~e%20f", "ENCODE_URL_COMPONENT"),
    case('REGEX_MATCH("Hello World", "Hello.World")', 1, "REGEX_MATCH example"),
    case('REGEX_MATCH("Hello World", "W.r")', 1, "REGEX_MATCH"),
    case('REGEX_MATCH("Hello", "^x")', 0, "REGEX_MATCH"),
    case('REGEX_EXTRACT("Hello World", "W.*")', "World", "REGEX_EXTRACT example"),
    case('REGEX_EXTRACT("Order 1234 shipped", "[0-9]+")', "1234", "REGEX_EXTRACT"),
    case('REGEX_REPLACE("Hello World", " W.*", "")', "Hello", "REGEX_REPLACE example"),
    case('REGEX_REPLACE("a-b-c", "-", "+")', "a+b+c", "REGEX_REPLACE"),
    # Numbers.
    case("ABS(-5.5)", 5.5, "ABS"),
    case("CEILING(2.1)", 3, "CEILING"),
    case("CEILING(7, 5)", 10, "CEILING"),
    case("FLOOR(2.9)", 2, "FLOOR"),
    case("FLOOR(17, 5)", 15, "FLOOR"),
    case("ROUND(2.5, 0)", 3, "ROUND"),
    case("ROUND(-2.5, 0)", -2, "ROUND"),
    case("ROUND(3.14159, 2)", 3.14, "ROUND"),
    case("ROUND(1234, -2)", 1200, "ROUND"),
    case("ROUNDUP(1.1, 0)", 2, "ROUNDUP"),
    case("ROUNDUP(-1.1, 0)", -2, "ROUNDUP"),
    case("ROUNDUP(3.14159, 2)", 3.15, "ROUNDUP"),
    case("ROUNDDOWN(1.9, 0)", 1, "ROUNDDOWN"),
    case("ROUNDDOWN(-1.9, 0)", -1, "ROUNDDOWN"),
    case("ROUNDDOWN(3.14159, 3)", 3.141, "ROUNDDOWN"),
    case("INT(3.7)", 3, "INT"),
    case("INT(-3.7)", -4, "INT"),
    case("MOD(7, 3)", 1, "MOD"),
    case("POWER(2, 10)", 1024, "POWER"),
    case("SQRT(16)", 4, "SQRT"),
    case("EXP(0)", 1, "EXP"),
    case("LOG(100)", 2, "LOG"),
    case("LOG(8, 2)", 3, "LOG"),
    case("MAX(1, 5, 3)", 5, "MAX"),
    case("MIN(1, 5, 3)", 1, "MIN"),
    case("SUM(1, 2, 3)", 6, "SUM"),
    case("AVERAGE(1, 2, 3, 4)", 2.5, "AVERAGE"),
    case('COUNT(1, 2, "a", BLANK())', 2, "COUNT"),
    case('COUNTA(1, "a", BLANK(), "")', 2, "COUNTA"),
    case('COUNTALL(1, "a", BLANK())', 3, "COUNTALL"),
    case("COUNTA(Tags)", 3, "COUNTA", empty=0),
    case("EVEN(1.5)", 2, "EVEN"),
    case("EVEN(3)", 4, "EVEN"),
    case("ODD(1.5)", 3, "ODD"),
    case("ODD(2)", 3, "ODD"),
    case("ODD(-2)", -3, "ODD"),
    # Logic.
    case('IF(3 > 2, "many", "few")', "many", "IF"),
    case('IF({Notes}, "has notes", "no notes")', "no notes", "IF"),
    case("IF(1 = 2, 1, BLANK())", None, "IF", "BLANK"),
    case('SWITCH("In progress", "Done", 1, "In progress", 2, 0)', 2, "SWITCH"),
    case('SWITCH("Other", "Done", 1, "In progress", 2, 0)', 0, "SWITCH"),
    case("AND(1 = 1, 2 = 2)", 1, "AND"),
    case("AND(1 = 1, 1 = 2)", 0, "AND"),
    case("OR(1 = 2, 2 = 2)", 1, "OR"),
    case("OR(1 = 2, 2 = 3)", 0, "OR"),
    case("XOR(TRUE(), TRUE())", 0, "XOR"),
    case("XOR(TRUE(), FALSE(), FALSE())", 1, "XOR"),
    case("ISERROR(ERROR())", 1, "ISERROR", "ERROR"),
    case("ISERROR(1 / 1)", 0, "ISERROR"),
    case("ERROR()", ERROR, "ERROR"),
    case("BLANK()", None, "BLANK"),
    # Dates.
    case('YEAR("2021-06-09")', 2021, "YEAR example"),
    case('MONTH("02/17/2013 7:31")', 2, "MONTH example"),
    case('DAY("02/17/2013")', 17, "DAY example"),
    case('HOUR("4 Mar 2017 7:00")', 7, "HOUR example"),
    case('MINUTE("02/17/2013 7:31")', 31, "MINUTE example"),
    case('SECOND("02/17/2013 7:31:25")', 25, "SECOND example"),
    case('DATEADD("07/10/19", 10, "days")', "2019-07-20T00:00:00.000Z", "DATEADD example"),
    case('DATETIME_DIFF("04/06/2019 12:00", "04/05/2019 11:00", "hours")', 25,
         "DATETIME_DIFF example"),
    case('DATESTR("12/13/21")', "2021-12-13", "DATESTR example"),
    case('IS_AFTER("1/1/1979", "1/1/2000")', 0, "IS_AFTER example"),
    case('IS_BEFORE("1/1/1979", "1/1/2000")', 1, "IS_BEFORE example"),
    case('IS_SAME("1/1/1979", "1/1/1979")', 1, "IS_SAME example"),
    case('WEEKDAY("2021-06-09")', 3, "WEEKDAY example"),
    case('WEEKDAY("2021-06-09", "Monday")', 2, "WEEKDAY"),
    case('WEEKNUM("02/17/2013")', 8, "WEEKNUM example"),
    case('DATETIME_FORMAT(SET_TIMEZONE("07/10/19 13:00", "Australia/Sydney"), "M/D/YYYY h:mm")',
         "7/10/2019 11:00", "SET_TIMEZONE example"),
    case('TIMESTR("02/17/2013 7:31:25")', "07:31:25", "TIMESTR"),
    case('WORKDAY("2024-03-15", 1)', "2024-03-18T00:00:00.000Z", "WORKDAY"),
    case('WORKDAY("2024-03-15", 5, "2024-03-18")', "2024-03-25T00:00:00.000Z", "WORKDAY"),
    # Arrays and records.
    case("ARRAYJOIN(Tags, \"|\")", "red|blue|red", "ARRAYJOIN", empty=""),
    case("ARRAYUNIQUE(Tags)", ["red", "blue"], "ARRAYUNIQUE", empty=[]),
    case("ARRAYCOMPACT(Tags)", ["red", "blue", "red"], "ARRAYCOMPACT", empty=[]),
    case("ARRAYFLATTEN(Tags)", ["red", "blue", "red"], "ARRAYFLATTEN", empty=[]),
    case("CREATED_TIME()", "2024-01-02T03:04:05.678Z", "CREATED_TIME"),
    case("LAST_MODIFIED_TIME()", "2024-02-03T04:05:06.789Z", "LAST_MODIFIED_TIME"),
    case("RECORD_ID()", "recFull0000000001", "RECORD_ID", empty="recEmpty000000001"),
]  # fmt: skip

# Our own decisions, where the reference is silent: they pin our behaviour, not Airtable's.
OUR_DECISIONS: list[Case] = [
    # Operators and literals.
    case("1 + 2 * 3", 7, "precedence"),
    case("-3 + 5", 2, "precedence"),
    case("- - 2", 2, "precedence"),
    case("2 * -3", -6, "precedence"),
    case("7 - 2 - 1", 4, "precedence"),
    case("1 + 2 & 3", "33", "precedence", "numbers"),
    case('"a" & "b" = "ab"', 1, "precedence", "&", "="),
    case("1 / 0", ERROR, "division by zero"),
    case('"3" + 1', 4, "coercion"),
    case('"abc" + 1', ERROR, "coercion"),
    case('1 = "1"', 1, "coercion"),
    case("TRUE + TRUE", 2, "truthiness", "TRUE"),
    case("true", 1, "truthiness", "TRUE"),
    case('"a" < "b"', 1, "text order"),
    case('"B" < "a"', 1, "text order"),
    case('"apple" = "Apple"', 0, "text order"),
    case("'it\\'s' & \"\"", "it's", "literals"),
    case('"tab\\there"', "tab\there", "literals"),
    case('"line\\nbreak"', "line\nbreak", "literals"),
    case("0.1 + 0.2", 0.30000000000000004, "numbers"),
    case("1e3 + 1", 1001, "literals"),
    case('"x" & 1.5', "x1.5", "numbers"),
    case('"n=" & (1/3)', "n=0.3333333333333333", "numbers"),
    # Fields and blanks.
    case("{Qty} * 2", 6, "field references", "blanks", empty=0),
    case("{Total}", 59.97, "Price * Quantity", "formula fields", "blanks", empty=0),
    case("Price * Qty", 59.97, "Price * Quantity", "blanks", empty=0),
    case("{Total} > 50", 1, "Price * Quantity", "blanks", empty=0),
    case("{Label}", "Widget Pro (In progress)", "formula fields", "blanks", empty=" ()"),
    case("{fldQty00000000001} + 1", 4, "field ids", "blanks", empty=1),
    case("{Notes} = BLANK()", 1, "blanks"),
    case('{Notes} = ""', 1, "blanks"),
    case("{Empty Number} = 0", 1, "blanks"),
    case("{Empty Number} + 5", 5, "blanks"),
    case("{Empty Number} = BLANK()", 1, "blanks"),
    case("{Qty} = BLANK()", 0, "blanks", empty=1),
    case("{Name} = BLANK()", 0, "blanks", empty=1),
    case('{Name} != ""', 1, "blanks", empty=0),
    case("{Done}", 1, "checkboxes", empty=0),
    case("{Archived}", 0, "checkboxes"),
    case("{Done} + 1", 2, "checkboxes", empty=1),
    case("IF(Archived, 1, BLANK())", None, "checkboxes", "IF", "BLANK"),
    case("NOT({Archived})", 1, "checkboxes", "truthiness"),
    case('{Status} = "In progress"', 1, "text order", "blanks", empty=0),
    case('{Status} = "in progress"', 0, "text order", "blanks"),
    case("{Discount} * 100", 25, "blanks", empty=0),
    case("{Loop A}", ERROR, "formula fields"),
    case("{Odd \\} Name} = BLANK()", 1, "literals", "blanks"),
    case("BLANK() = 0", 1, "blanks"),
    case('BLANK() = ""', 1, "blanks"),
    case('{Notes} & "x"', "x", "blanks"),
    case("-{Empty Number}", 0, "blanks"),
    # Text.
    case('CONCATENATE(Name, "!")', "Widget Pro!", "CONCATENATE", "blanks", empty="!"),
    case("LEN(Name)", 10, "LEN", "blanks", empty=0),
    case("LEN({Notes})", 0, "LEN", "blanks"),
    case('RIGHT("ab", 5)', "ab", "RIGHT", "text functions"),
    case('RIGHT("ab", 0)', "", "text functions"),
    case('LEFT("ab", -1)', ERROR, "text functions"),
    case('MID("quick brown fox", 6, 5)', " brow", "MID", "MID from 1"),
    case("MID(Name, 1, 6)", "Widget", "MID", "MID from 1", "blanks", empty=""),
    case('FIND("o", "hello world", 6)', 8, "FIND", "text functions"),
    case('FIND("Pro", Name)', 8, "FIND", "blanks", empty=0),
    case('SEARCH("BROWN", "quick brown fox")', 7, "SEARCH", "text order"),
    case('SEARCH("widget", Name) > 0', 1, "SEARCH", "blanks", empty=0),
    case("LOWER(Email)", "ada@example.com", "LOWER", "blanks", empty=""),
    case("TRIM({Notes})", "", "TRIM", "blanks"),
    case('VALUE("$1,000")', 1000, "VALUE", "VALUE cleaning"),
    case('REGEX_REPLACE("John Smith", "(\\\\w+) (\\\\w+)", "$2, $1")', "Smith, John",
         "regex replacement"),
    case("LEN(Name) > 5", 1, "blanks", empty=0),
    case('UPPER(Status) = "IN PROGRESS"', 1, "blanks", empty=0),
    case('LEFT(Name, 3) = "Wid"', 1, "LEFT", "blanks", empty=0),
    case('Name & " - " & Status', "Widget Pro - In progress", "&", "blanks", empty=" - "),
    case('Name < "Zebra"', 1, "text order", "blanks"),
    # Numbers.
    case("ABS({Empty Number})", 0, "blanks"),
    case("ROUND(1.5)", 2, "ROUND", "rounding"),
    case("ROUND(Price * Qty, 1)", 60, "ROUND", "blanks", empty=0),
    case("MOD(-7, 3)", -1, "rounding"),
    case("MOD(7, 0)", ERROR, "division by zero"),
    case("SQRT(-1)", NAN, "rounding"),
    case("LOG10(1000)", 3, "rounding"),
    case("MAX(Qty, Price)", 19.99, "MAX", "blanks", "aggregates", empty=0),
    case("MAX({Empty Number}, -2)", -2, "aggregates"),
    case("MIN({Empty Number}, {Empty Number})", 0, "aggregates"),
    case("SUM(Price, Qty, {Empty Number})", 22.99, "SUM", "aggregates", empty=0),
    case("EVEN(-1)", -2, "EVEN away from zero"),
    case("ODD(0)", 1, "ODD", "rounding"),
    case("Qty / 2", 1.5, "blanks", empty=0),
    case("MOD(Qty, 2) = 1", 1, "blanks", empty=0),
    # Logic.
    case('IF(Qty > 2, "many", "few")', "many", "IF", "blanks", empty="few"),
    case('IF(Qty > 5, "many")', None, "truthiness", "blanks"),
    case("IF(0, 1, 2)", 2, "truthiness"),
    case('IF("", 1, 2)', 2, "truthiness"),
    case('IF("x", 1, 2)', 1, "truthiness"),
    case("IF(Qty = 0, 0, 10 / Qty) > 3", 1, "blanks", empty=0),
    case("IF(Done, Price, 0)", 19.99, "checkboxes", empty=0),
    case('SWITCH(Status, "Done", 1, "In progress", 2, 0)', 2, "SWITCH", "blanks", empty=0),
    case('SWITCH(9, 1, "one")', None, "SWITCH without a match"),
    case('SWITCH(Qty, 1, "one", 3, "three", "other")', "three", "SWITCH", "blanks",
         empty="other"),
    case('SWITCH({Notes}, BLANK(), "empty", "full")', "empty", "SWITCH without a match"),
    case('AND(1, "x", TRUE())', 1, "truthiness"),
    case("AND(1, 0)", 0, "truthiness"),
    case('OR(0, "", 1)', 1, "truthiness"),
    case("OR(0, BLANK())", 0, "truthiness"),
    case("NOT(1)", 0, "truthiness"),
    case('NOT("")', 1, "truthiness"),
    case("XOR(1, 1)", 0, "truthiness"),
    case("XOR(1, 0, 0)", 1, "truthiness"),
    case("AND(Qty > 1, Price < 20)", 1, "blanks", empty=0),
    case('OR({Notes} = "", Qty > 100)', 1, "blanks"),
    case("ISERROR(1 / 0)", 1, "division by zero", "ISERROR"),
    case("IF(ERROR(), 1, 2)", ERROR, "errors spread"),
    case("AND(Done, NOT(Archived))", 1, "checkboxes", empty=0),
    case("XOR(Done, Archived, Qty > 1)", 0, "checkboxes", "blanks"),
    # Dates.
    case("Start", "2024-03-01T09:30:00.000Z", "dates", empty=None),
    case("Due > Start", 1, "dates", "blank dates", empty=0),
    case("Due = Start", 0, "dates", "blank dates", empty=1),
    case("{No Date} = BLANK()", 1, "blank dates"),
    case("{No Date} = Due", 0, "blank dates", empty=1),
    case('Due > "2024-03-01"', 1, "dates", "blank dates", empty=0),
    case('Due = "2024-03-15"', 1, "dates", "blank dates", empty=0),
    case('Due < "not a date"', 0, "dates", "blank dates", empty=1),
    case('{No Date} < "2024-03-01"', 1, "blank dates"),
    case('"2024-03-01" > {No Date}', 1, "blank dates"),
    case('{No Date} = ""', 1, "blank dates"),
    case('Due >= "2024-03-15T00:00:00.000Z"', 1, "dates", "blank dates", empty=0),
    case("{No Date} != Due", 1, "blank dates", empty=0),
    case("Due != BLANK()", 1, "blank dates", empty=0),
    case("YEAR({No Date}) = BLANK()", 1, "blank dates"),
    case("MONTH(Start) + DAY(Start)", 4, "MONTH", "DAY", "blank dates", "blanks", empty=0),
    case("DATESTR({No Date})", None, "blank dates"),
    case('DATESTR(Due) = "2024-03-15"', 1, "DATESTR", "blank dates", empty=0),
    case("IS_BEFORE(Start, Due)", 1, "IS_BEFORE", "blank dates", empty=0),
    case("IS_AFTER(Start, Due)", 0, "IS_AFTER", "blank dates"),
    case("IS_BEFORE({No Date}, Due)", 0, "blank dates"),
    case('IS_AFTER(Due, "2024-01-01")', 1, "IS_AFTER", "blank dates", empty=0),
    case('IS_SAME(Due, "2024-03-15")', 1, "IS_SAME", "blank dates", empty=0),
    case('IS_SAME(Start, Due, "month")', 1, "IS_SAME", "dates", "blank dates", empty=0),
    case('IS_SAME(Start, Due, "day")', 0, "IS_SAME", "dates", "blank dates"),
    case('DATEADD(Due, 10, "days")', "2024-03-25T00:00:00.000Z", "DATEADD", "blank dates",
         empty=None),
    case('DATEADD("2024-01-31", 1, "months")', "2024-02-29T00:00:00.000Z", "dates"),
    case('DATEADD(Start, 90, "minutes")', "2024-03-01T11:00:00.000Z", "DATEADD", "dates",
         "blank dates", empty=None),
    case('DATETIME_DIFF(Due, Start, "days")', 13, "DATETIME_DIFF", "date parts",
         "blank dates", empty=None),
    case('DATETIME_DIFF(Due, Start, "hours")', 326, "DATETIME_DIFF", "date parts",
         "blank dates", empty=None),
    case('DATETIME_DIFF("2024-03-01", "2023-01-15", "months")', 13, "DATETIME_DIFF",
         "date parts"),
    case('DATETIME_DIFF("2024-01-02", "2024-01-01")', 86400, "DATETIME_DIFF", "date parts"),
    case('DATETIME_FORMAT(Due, "DD-MM-YYYY")', "15-03-2024", "DATETIME_FORMAT", "date formats",
         "blank dates", empty=None),
    case('DATETIME_FORMAT(Due, "MMMM Do, YYYY")', "March 15th, 2024", "DATETIME_FORMAT",
         "date formats", "blank dates", empty=None),
    case('DATETIME_FORMAT(Start, "dddd h:mm A")', "Friday 9:30 AM", "DATETIME_FORMAT",
         "date formats", "blank dates", empty=None),
    case('DATETIME_FORMAT(Start, "LL")', "March 1, 2024", "DATETIME_FORMAT", "date formats",
         "blank dates", empty=None),
    case('DATETIME_FORMAT(Start, "[Week] W, [Q]Q")', "Week 9, Q1", "DATETIME_FORMAT",
         "date formats", "blank dates", empty=None),
    case('DATETIME_PARSE("4 Mar 2017 23:00", "D MMM YYYY HH:mm")', "2017-03-04T23:00:00.000Z",
         "DATETIME_PARSE", "date formats"),
    case('DATETIME_PARSE("2024-05-06")', "2024-05-06T00:00:00.000Z", "DATETIME_PARSE",
         "dates"),
    case('DATETIME_PARSE("nope", "YYYY")', ERROR, "date formats"),
    case("DATESTR(Start)", "2024-03-01", "DATESTR", "blank dates", empty=None),
    case("TIMESTR(Start)", "09:30:00", "TIMESTR", "blank dates", empty=None),
    case("YEAR(Due)", 2024, "YEAR", "blank dates", empty=None),
    case("MONTH(Due)", 3, "MONTH", "blank dates", empty=None),
    case("DAY(Due)", 15, "DAY", "blank dates", empty=None),
    case("HOUR(Start)", 9, "HOUR", "blank dates", empty=None),
    case("MINUTE(Start)", 30, "MINUTE", "blank dates", empty=None),
    case("SECOND(Start)", 0, "SECOND", "blank dates", empty=None),
    case("WEEKDAY(Due)", 5, "WEEKDAY", "blank dates", empty=None),
    case('WEEKDAY(Due, "Monday")', 4, "WEEKDAY", "blank dates", empty=None),
    case('WEEKNUM("2024-01-07")', 2, "WEEKNUM", "date parts"),
    case("WEEKNUM(Due)", 11, "WEEKNUM", "date parts", "blank dates", empty=None),
    case('WORKDAY(Due, 5, "2024-03-18")', "2024-03-25T00:00:00.000Z", "WORKDAY", "blank dates",
         empty=None),
    case('WORKDAY_DIFF("2024-03-01", "2024-03-15")', 11, "WORKDAY_DIFF", "date parts"),
    case('WORKDAY_DIFF("2024-03-04", "2024-03-08", "2024-03-06")', 4, "WORKDAY_DIFF",
         "date parts"),
    case('WORKDAY_DIFF(Start, Due, "2024-03-04, 2024-03-05")', 9, "WORKDAY_DIFF",
         "date parts", "blank dates", empty=None),
    case('SET_TIMEZONE(Start, "America/New_York")', "2024-03-01T09:30:00.000Z", "time zones",
         "blank dates", empty=None),
    case('DATETIME_FORMAT(SET_TIMEZONE(Start, "America/New_York"), "H:mm")', "4:30",
         "SET_TIMEZONE", "time zones", "blank dates", empty=None),
    case('DATETIME_FORMAT(SET_LOCALE(Due, "en"), "MMM D")', "Mar 15", "date formats",
         "blank dates", empty=None),
    case('HOUR(SET_TIMEZONE(Start, "Asia/Tokyo"))', 18, "time zones", "blank dates",
         empty=None),
    case("YEAR({No Date})", None, "blank dates"),
    case("{Created}", "2024-01-02T03:04:05.678Z", "record metadata"),
    case("CREATED_TIME() < LAST_MODIFIED_TIME()", 1, "record metadata", "dates"),
    case('IS_BEFORE(CREATED_TIME(), "2024-06-01")', 1, "IS_BEFORE", "record metadata"),
    case('Created = "2024-01-02T03:04:05.678Z"', 1, "record metadata", "dates"),
    case("TONOW(NOW())", 0, "now"),
    case("FROMNOW(TODAY()) < 2", 1, "now"),
    case('IS_AFTER(NOW(), "2020-01-01")', 1, "now"),
    # Arrays and records.
    case("ARRAYJOIN(Tags)", "red, blue, red", "arrays", empty=""),
    case("ARRAYJOIN(ARRAYUNIQUE(Tags))", "red, blue", "ARRAYUNIQUE", "arrays", empty=""),
    case("ARRAYSLICE(Tags, 2)", ["blue", "red"], "arrays", empty=[]),
    case("ARRAYSLICE(Tags, 1, 2)", ["red", "blue"], "arrays", empty=[]),
    case("ARRAYSLICE(Tags, -1)", ["red"], "arrays", empty=[]),
    case('Tags & ""', "red, blue, red", "arrays", empty=""),
    case("LEN(ARRAYJOIN(Tags))", 14, "arrays", empty=0),
    case('RECORD_ID() = "recFull0000000001"', 1, "record metadata", empty=0),
    case("LEN(RECORD_ID())", 17, "record metadata"),
]  # fmt: skip

ALL_CASES = CASES + OUR_DECISIONS
