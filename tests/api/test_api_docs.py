"""docs/API.md is the whole contract: every operation of the OpenAPI schema and every error
code the code can answer appear in it, so a client written from it meets no surprise.

The codes are found in the code itself (`answered_codes`), not in a hand list: every
`code="..."` given to a ServiceError (rr/common/errors.py) or one of its subclasses, their
default codes, the codes the exception handler gives DRF's exceptions, and the literal codes
of the error bodies built by hand (errors.py's handlers, /health/). Each needs a row of
API.md's error table: "| `code` | status | meaning |".
"""

import ast
import re
from pathlib import Path

from drf_spectacular.generators import SchemaGenerator

from rr.common import errors

REPO = Path(__file__).resolve().parents[2]
API_MD = REPO / "docs" / "API.md"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def _error_classes():
    """ServiceError and every subclass of it the code defines, by name."""
    found, todo = {}, [errors.ServiceError]
    while todo:
        cls = todo.pop()
        found[cls.__name__] = cls
        todo += cls.__subclasses__()
    return found


def _called_name(call):
    return call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None)


def _constant(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def codes_in_source(source, error_classes, where="<source>"):
    """The error codes a module's source can answer: (codes, problems).

    A problem is a ServiceError raised with a `code` that is not a literal, which this
    enumeration could not see (a client could then meet an undocumented code)."""
    codes, problems = set(), []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = _called_name(node)
            if name in error_classes:
                for keyword in node.keywords:
                    if keyword.arg == "code":
                        code = _constant(keyword.value)
                        if code is None:
                            problems.append(f"{where}:{node.lineno}: {name}(code=...) is not a literal")
                        else:
                            codes.add(code)
            # The bodies errors.py builds by hand: error_body(message, "code"), json_error_view(status, message, "code").
            position = {"error_body": 1, "json_error_view": 2}.get(name)
            if position is not None and len(node.args) > position and _constant(node.args[position]):
                codes.add(_constant(node.args[position]))
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if key is not None and _constant(key) == "code" and _constant(value):
                    codes.add(_constant(value))
        elif isinstance(node, ast.Assign) and _constant(node.value):
            for target in node.targets:
                if isinstance(target, ast.Subscript) and _constant(target.slice) == "code":
                    codes.add(_constant(node.value))
    # A body's "code" key also names other things (a recovery code in an example): only
    # snake_case identifiers, the format every error code has (errors.CODE_FORMAT), are codes.
    return {code for code in codes if errors.CODE_FORMAT.match(code)}, problems


def answered_codes():
    """Every error code the API can answer, found in rr/'s source (see the module docstring)."""
    classes = _error_classes()
    codes = {cls.default_code for cls in classes.values()} | set(errors._DRF_CODES.values())
    problems = []
    for path in sorted((REPO / "rr").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        found, wrong = codes_in_source(path.read_text(), classes, where=str(path.relative_to(REPO)))
        codes |= found
        problems += wrong
    return codes, problems


def documented_codes(text):
    """The codes with a row in API.md's error table."""
    return set(re.findall(r"^\| `([a-z][a-z0-9_]*)` \|", text, flags=re.MULTILINE))


def operations():
    """(METHOD, path) of every operation in the OpenAPI schema the server serves."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (method.upper(), path) for path, item in schema["paths"].items() for method in item if method in HTTP_METHODS
    )


def path_pattern(path):
    """`/api/checklists/{checklist_id}/` as API.md writes it: `/api/checklists/<id>/`, any
    name in the angle brackets, the path ending there (or at a query string)."""
    parts = re.split(r"\{[^}]+\}", path)
    return r"(?<![\w/])" + r"<[^<>/\s]+>".join(re.escape(part) for part in parts) + r"(?=[`?\s]|$)"


def undocumented_operations(text, wanted):
    """The operations with no line of `text` naming both the method and the path."""
    lines = text.splitlines()
    missing = []
    for method, path in wanted:
        pattern = re.compile(path_pattern(path))
        verb = re.compile(rf"\b{method}\b")
        if not any(pattern.search(line) and verb.search(line) for line in lines):
            missing.append(f"{method} {path}")
    return missing


def test_every_operation_of_the_schema_is_in_api_md():
    missing = undocumented_operations(API_MD.read_text(), operations())

    assert not missing, f"docs/API.md does not document (method and path on one line): {missing}"


def test_every_error_code_the_code_can_answer_has_a_row_in_api_md():
    codes, problems = answered_codes()

    assert not problems
    missing = sorted(codes - documented_codes(API_MD.read_text()))
    assert not missing, f"docs/API.md's error table lacks: {missing}"


def test_the_enumeration_sees_every_way_a_code_is_written():
    source = """
from rr.common import errors
raise errors.Conflict("Taken.", code="taken_here")
raise NotFound("Gone.", code="gone_here")
raise ValueError("not an API error", code="not_a_code")
body = error_body("Too big.", "too_big_here", request_id=None)
handler = json_error_view(418, "Teapot.", "teapot_here")
body = {"error": "Down.", "code": "down_here"}
body["code"] = "degraded_here"
example = {"code": "K7Q4M-2XKDH"}
raise Forbidden("Computed.", code=computed)
"""
    codes, problems = codes_in_source(source, _error_classes())

    assert codes == {"taken_here", "gone_here", "too_big_here", "teapot_here", "down_here", "degraded_here"}
    assert problems == ["<source>:11: Forbidden(code=...) is not a literal"]


def test_the_enumeration_finds_the_codes_of_the_tree():
    codes, _ = answered_codes()

    # One of each kind: a raise site, a default code, a DRF mapping, hand-built bodies.
    assert {
        "day_in_future",
        "conflict",
        "rate_limited",
        "body_too_large",
        "server_error",
        "service_unavailable",
    } <= codes


def test_an_operation_or_code_missing_from_the_text_is_reported():
    text = API_MD.read_text()
    wanted = [("POST", "/api/checklists/{checklist_id}/regrets/"), ("GET", "/api/checklists/{checklist_id}/")]

    assert undocumented_operations(text, wanted) == []
    without = text.replace("/api/checklists/<id>/regrets/", "/api/checklists/<id>/regretz/")
    assert undocumented_operations(without, wanted) == ["POST /api/checklists/{checklist_id}/regrets/"]
    # A path that only prefixes a documented one does not count as documented.
    assert undocumented_operations("`GET /api/checklists/history/`", [("GET", "/api/checklists/")]) == [
        "GET /api/checklists/"
    ]
    assert undocumented_operations("`POST /api/checklists/`", [("GET", "/api/checklists/")]) == ["GET /api/checklists/"]
    assert documented_codes("| `day_closed` | 409 | frozen |\nsee `day_in_future`") == {"day_closed"}
