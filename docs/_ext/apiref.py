"""Pages written from the code at build time: the API reference, the rule and error codes.

Three directives each stand for text this module writes from the library as it is when
the docs are built, so the pages cannot fall behind the code:

``.. humanaid-api::``
    every name of ``humanaid.__all__``, in the concept groups of ``humanaid/__init__.py``
    (each group's comment gives its title and its one-line summary), in the order each
    name is defined in its module; then the rooms behind the face: every public module
    with public names of its own that the face does not carry (the aggregation verbs,
    the rules by theme, the interop modules, the testing strategies).
``.. humanaid-rule-codes::``
    every rule code a finding can carry, read from the source of every module: the
    ``Finding(rule=..., severity=...)`` it is made in, the public rule that emits it
    (through the module's private helpers) and that rule's summary line.
``.. humanaid-error-codes::``
    every :attr:`humanaid.Problem.code`, from :data:`humanaid.ERROR_CODES`, with the
    modules that use it (a ``code=`` of a problem or of a
    :class:`~humanaid.errors.FieldError`).
``.. humanaid-limits::``
    every limit of :data:`humanaid.errors.LIMITS`, its value and the code of a breach.

``python docs/_ext/apiref.py api|rules|errors|limits`` prints the text a directive writes.
"""

from __future__ import annotations

import ast
import enum
import functools
import importlib
import inspect
import re
import sys
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SRC = Path(__file__).resolve().parents[2] / "src" / "humanaid"

__all__ = [
    "FaceGroup",
    "RuleCode",
    "api_reference",
    "documented_names",
    "error_code_uses",
    "error_codes_page",
    "face_groups",
    "limits_page",
    "rule_codes",
    "rule_codes_page",
    "setup",
]


# -- reading the source -------------------------------------------------------------------------


def _module_path(module: str) -> Path:
    parts = module.split(".")[1:]
    base = SRC.joinpath(*parts)
    package = base / "__init__.py"
    return package if package.exists() else base.with_suffix(".py")


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache
def _tree(module: str) -> ast.Module:
    return ast.parse(_module_path(module).read_text(encoding="utf-8"))


def _top_level_line(tree: ast.Module, name: str) -> int | None:
    """The line where ``name`` is defined at the top of a module, if it is."""
    for node in tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name == name:
                return node.lineno
        elif isinstance(node, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                return node.lineno
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == name
        ):
            return node.lineno
    return None


def _defined_in(module: str, name: str) -> tuple[str, int]:
    """The module that defines ``name`` (following re-exports) and the line it is on."""
    for _ in range(10):
        tree = _tree(module)
        line = _top_level_line(tree, name)
        if line is not None:
            return module, line
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.level == 0
                and any((a.asname or a.name) == name for a in node.names)
            ):
                module = node.module
                break
        else:
            break
    raise LookupError(f"cannot find where {name} is defined (looked from {module})")


def _summary(obj: object) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.strip().split("\n\n")[0].replace("\n", " ")


def _private(module: str) -> bool:
    return any(part.startswith("_") for part in module.split("."))


def _deprecated(path: Path) -> bool:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return doc.startswith("Deprecated")


def _modules() -> list[str]:
    """Every public module of the library, without importing any (shims warn on import)."""
    names = []
    for path in sorted(SRC.rglob("*.py")):
        name = _module_name(path)
        if name == "humanaid" or _private(name) or _deprecated(path):
            continue
        names.append(name)
    return names


def _sources() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


# -- the API reference --------------------------------------------------------------------------


@dataclass(frozen=True)
class FaceGroup:
    """One group of ``humanaid/__init__.py``: its title, its summary and its names."""

    title: str
    summary: str
    names: tuple[str, ...]


_GROUP_COMMENT = re.compile(r"^# (?P<title>[A-Z][^:]*): (?P<summary>.+)$")


def face_groups() -> list[FaceGroup]:
    """The concept groups of the face, each name in the order of its module's source.

    A group is a comment ``# Title: summary.`` followed by the imports of its names.
    """
    import humanaid

    path = SRC / "__init__.py"
    lines = path.read_text(encoding="utf-8").splitlines()
    tree = ast.parse("\n".join(lines))
    heads = [(i + 1, m) for i, line in enumerate(lines) if (m := _GROUP_COMMENT.match(line))]
    members: dict[int, list[tuple[int, int, str]]] = {line: [] for line, _ in heads}
    for order, node in enumerate(tree.body):
        if not (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("humanaid")):
            continue
        before = [line for line, _ in heads if line < node.lineno]
        if not before:
            raise ValueError(f"{path}:{node.lineno}: an import before the first group comment")
        assert node.module is not None
        for alias in node.names:
            name = alias.asname or alias.name
            if name not in humanaid.__all__:
                continue
            _, line = _defined_in(node.module, alias.name)
            members[before[-1]].append((order, line, name))
    grouped = [name for names in members.values() for _, _, name in names]
    missing = sorted(set(humanaid.__all__) - set(grouped))
    if missing:
        raise ValueError(f"names of humanaid.__all__ in no group of {path}: {missing}")
    return [
        FaceGroup(
            title=m["title"],
            summary=m["summary"][0].upper() + m["summary"][1:],
            names=tuple(name for _, _, name in sorted(members[line])),
        )
        for line, m in heads
        if members[line]
    ]


def _directive(path: str, obj: object) -> list[str]:
    """The autodoc directive for ``obj``, documented as ``path``."""
    if isinstance(obj, type):
        kind = "autoexception" if issubclass(obj, BaseException) else "autoclass"
        options = [":members:"]
        if issubclass(obj, enum.Enum):
            options.append(":undoc-members:")
        bases = [b for b in obj.__bases__ if b not in (object, typing.Generic)]
        if any(b.__name__.startswith("_") for b in bases):
            # a private base holds part of the public surface: show it here, not the base
            options.append(":inherited-members:")
            bases = []
        if not bases:
            options.append(":no-show-inheritance:")
        call = vars(obj).get("__call__")
        if call is not None and inspect.getdoc(call):
            options.append(":special-members: __call__")
        return [f".. {kind}:: {path}", *(f"   {o}" for o in options), ""]
    if inspect.isroutine(obj):
        return [f".. autofunction:: {path}", ""]
    return [f".. autodata:: {path}", "   :no-value:", ""]


def _face_path(name: str) -> str:
    """Where a face name is documented: by its public name, or where a constant is defined.

    autodoc finds a constant's docstring only in the module that assigns it.
    """
    import humanaid

    obj = getattr(humanaid, name)
    if isinstance(obj, type) or inspect.isroutine(obj):
        return f"humanaid.{name}"
    for imported_from, names in _face_imports():
        if name in names:
            module, _ = _defined_in(imported_from, name)
            return f"{module}.{name}"
    raise LookupError(name)  # pragma: no cover - face_groups() found it already


def _face_imports() -> list[tuple[str, set[str]]]:
    tree = ast.parse((SRC / "__init__.py").read_text(encoding="utf-8"))
    return [
        (node.module, {a.asname or a.name for a in node.names})
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module
    ]


def _rooms() -> Iterator[tuple[str, list[str]]]:
    """Public modules with public names of their own that the face does not carry.

    A module's own names are those it defines and those it takes from a private module
    behind it or from its own submodules (:mod:`humanaid.testing` from
    ``humanaid.testing.fundraising`` ...); what it re-exports from
    another public module is documented there.
    """
    import humanaid

    face = set(humanaid.__all__)
    modules = _modules()
    for name in modules:
        exported = list(getattr(importlib.import_module(name), "__all__", ()))
        parent = name.rpartition(".")[0]
        # a package's face (humanaid.testing) documents its submodules' names itself
        carried = (
            set(getattr(importlib.import_module(parent), "__all__", ()))
            if parent in modules
            else set()
        )
        own: list[tuple[tuple[int, int], str]] = []
        for position, n in enumerate(exported):
            if n in face or n in carried:
                continue
            home, line = _defined_in(name, n)
            if home == name:
                own.append(((0, line), n))
            elif _private(home) or home.startswith(f"{name}."):
                own.append(((1, position), n))
        if own:
            yield name, [n for _, n in sorted(own)]


def _title(text: str, underline: str) -> list[str]:
    return [text, underline * len(text), ""]


def api_reference() -> str:
    """The reStructuredText of the API reference."""
    import humanaid

    out = [
        ".. module:: humanaid",
        "",
        "Every public name is importable from :mod:`humanaid`, and this page lists every",
        "one, in the groups of ``humanaid/__init__.py``. It is written when the docs are",
        "built, from ``humanaid.__all__`` and the docstrings (by ``docs/_ext/apiref.py``).",
        "",
    ]
    for group in face_groups():
        out += _title(group.title, "-")
        out += [group.summary, ""]
        for name in group.names:
            out += _directive(_face_path(name), getattr(humanaid, name))
    out += _title("Behind the face", "-")
    out += [
        "Modules whose own public names are not on the face: the verbs of the aggregation",
        "engine, the rules by theme, the optional exchanges (each needs its extra) and the",
        "Hypothesis strategies (extra ``test``). Import them from their module.",
        "",
    ]
    for module_name, names in _rooms():
        module = importlib.import_module(module_name)
        out += _title(f":mod:`{module_name}`", "~")
        out += [f".. automodule:: {module_name}", "   :no-members:", ""]
        for name in names:
            out += _directive(f"{module_name}.{name}", getattr(module, name))
    return "\n".join(out) + "\n"


def documented_names(text: str) -> set[str]:
    """The full names the directives of a generated page document."""
    return set(re.findall(r"^\.\. auto(?:class|exception|function|data):: (\S+)$", text, re.M))


# -- rule codes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleCode:
    """A rule code, its severity, and the public functions that emit it."""

    code: str
    severities: tuple[str, ...]
    rules: tuple[str, ...]  # full names, such as "humanaid.rules.funds.funds_not_overdrawn"
    builtin: bool
    summary: str
    rank: tuple[int, bool, str] = (0, False, "")


@dataclass
class _Function:
    codes: dict[str, set[str]] = field(default_factory=dict)  # made here: code -> severities
    calls: set[str] = field(default_factory=set)  # names it refers to


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


_FINDING_MAKERS = frozenset({"Finding", "finding"})


def _findings_made(node: ast.AST) -> Iterator[tuple[str, str]]:
    """``(code, severity)`` of each ``Finding(rule="...", severity=Severity.X)`` under node.

    A built-in rule's ``finding(rule=..., severity=...)`` (the rules' unchecked maker of
    the same finding, ``humanaid.rules._helpers.finding``) counts as one too.
    """
    for call in ast.walk(node):
        if not (isinstance(call, ast.Call) and _call_name(call) in _FINDING_MAKERS):
            continue
        kw = {k.arg: k.value for k in call.keywords}
        rule, severity = kw.get("rule"), kw.get("severity")
        if isinstance(rule, ast.Constant) and isinstance(rule.value, str):
            level = severity.attr if isinstance(severity, ast.Attribute) else "varies"
            yield rule.value, level.lower()


@dataclass(frozen=True)
class _Emits:
    severities: set[str]
    directly: bool  # made in the function itself, not only in what it calls


def _emitted(module: str) -> dict[str, dict[str, _Emits]]:
    """For each public function of a module, the codes it emits, itself or through helpers.

    A function is a ``def`` or a name bound to a call at the top of the module
    (``charity_spending_ratios = spending_ratio_rule()``). What a function calls is every
    name it refers to, so a helper's codes are counted for each function that uses it.
    """
    functions: dict[str, _Function] = {}
    for node in _tree(module).body:
        if isinstance(node, ast.FunctionDef):
            name, body = node.name, node
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
        ):
            name, body = node.targets[0].id, node.value
        else:
            continue
        f = functions[name] = _Function()
        for code, severity in _findings_made(body):
            f.codes.setdefault(code, set()).add(severity)
        f.calls = {n.id for n in ast.walk(body) if isinstance(n, ast.Name)}
    reached: dict[str, dict[str, _Emits]] = {}
    for name, start in functions.items():
        if name.startswith("_"):
            continue
        seen, todo, codes = {name}, [name], {}
        while todo:
            f = functions[todo.pop()]
            for code, levels in f.codes.items():
                codes.setdefault(code, set()).update(levels)
            for callee in (f.calls & functions.keys()) - seen:
                seen.add(callee)
                todo.append(callee)
        if codes:
            reached[name] = {c: _Emits(v, c in start.codes) for c, v in codes.items()}
    return reached


def rule_codes() -> list[RuleCode]:
    """Every rule code made in the library, in the order of the built-in rules.

    A code a built-in rule emits is listed with the built-in rules that emit it; any other
    code with the functions that make it, those that make it themselves first.
    """
    from humanaid.rules import BUILTIN_RULES

    builtin = [f"{r.__module__}.{r.__name__}" for r in BUILTIN_RULES]
    order = {name: i for i, name in enumerate(builtin)}
    by_code: dict[str, dict[str, Any]] = {}
    for module in _modules():
        for function, codes in _emitted(module).items():
            for code, emits in codes.items():
                entry = by_code.setdefault(code, {"levels": set(), "rules": []})
                entry["levels"] |= emits.severities
                entry["rules"].append((f"{module}.{function}", emits.directly))

    def rank(rule: tuple[str, bool]) -> tuple[int, bool, str]:
        name, directly = rule
        return (order[name], False, "") if name in order else (len(order), not directly, name)

    out = []
    for code, entry in by_code.items():
        rules = sorted(entry["rules"], key=rank)
        if rules[0][0] in order:  # a built-in rule emits it: a helper's other callers do not
            rules = [r for r in rules if r[0] in order]
        functions = [_function(name) for name, _ in rules]
        out.append(
            RuleCode(
                code=code,
                severities=tuple(sorted(entry["levels"])),
                rules=tuple(_public_name(name) for name, _ in rules),
                builtin=rules[0][0] in order,
                summary=_meaning(code, functions),
                rank=rank(rules[0]),
            )
        )
    out.sort(key=lambda c: (c.rank, c.code))
    return out


def _function(full: str) -> Any:
    module, _, name = full.rpartition(".")
    return getattr(importlib.import_module(module), name)


_CODE_SAYS = (
    r"``{code}``\s+\(\w+\):\s*(?P<text>.+?)"
    r"(?=\n\s*\*\s|\s``[\w.-]+``\s+\(\w+\):|\n\s*\n|$)"
)


def _meaning(code: str, functions: list[Any]) -> str:
    """What a code means, as the docstrings say it.

    A rule's docstring, or its module's, may say it code by code,
    ``* ``cases.paid-over-approved`` (ERROR): more paid than approved``; otherwise the
    summary line of the rule that emits it says what the rule checks.
    """
    pattern = re.compile(_CODE_SAYS.format(code=re.escape(code)), re.S)
    docs = [inspect.getdoc(f) for f in functions]
    docs += [inspect.getdoc(sys.modules[f.__module__]) for f in functions]
    for doc in docs:
        match = pattern.search(doc or "")
        if match:
            text = " ".join(match["text"].split()).rstrip(";,")
            return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")
    summary = _summary(functions[0])
    # "... below zero (``funds.overdrawn``)." says the code the table already shows
    return re.sub(rf" \(``{re.escape(code)}``(?:, \w+)?\)", "", summary)


def _public_name(full: str) -> str:
    """A function by its name on the face if it is there, else by its module."""
    import humanaid

    name = full.rpartition(".")[2]
    if name in humanaid.__all__ and getattr(humanaid, name).__module__ == full.rpartition(".")[0]:
        return f"humanaid.{name}"
    return full


def _table(header: list[str], rows: list[list[str]], widths: str) -> list[str]:
    out = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", ""]
    for row in [header, *rows]:
        out.append(f"   * - {row[0]}")
        out += [f"     - {cell}" for cell in row[1:]]
    return [*out, ""]


def rule_codes_page() -> str:
    """The reStructuredText of the table of rule codes."""
    rows = []
    for c in rule_codes():
        rules = ", ".join(f":func:`~{r}`" for r in c.rules)
        when = "yes" if c.builtin else "no"
        rows.append([f"``{c.code}``", ", ".join(c.severities), rules, when, c.summary])
    header = ["code", "severity", "rule", "built in", "what it means"]
    return "\n".join(_table(header, rows, "22 8 20 10 40"))


# -- error codes --------------------------------------------------------------------------------


def error_code_uses() -> dict[str, set[str]]:
    """Each code the library gives a :class:`~humanaid.Problem`, and the modules giving it.

    Read from the source of every module that makes problems: a ``code="..."`` keyword,
    or a string passed for the ``code`` parameter of one of the module's functions (or a
    class's ``__init__``), such as ``_fail("wrong-type", ...)``.
    """
    uses: dict[str, set[str]] = {}
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        if not any(w in text for w in ("Problem", "InvalidInput", "FieldValueError")):
            continue
        tree = ast.parse(text)
        takes: dict[str, int] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                init = [b for b in node.body if isinstance(b, ast.FunctionDef)]
                for b in init:
                    params = [a.arg for a in b.args.posonlyargs + b.args.args]
                    if b.name == "__init__" and "code" in params:
                        takes[node.name] = params.index("code") - 1
            elif isinstance(node, ast.FunctionDef):
                params = [a.arg for a in node.args.posonlyargs + node.args.args]
                if "code" in params:
                    takes.setdefault(node.name, params.index("code"))
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            values = [k.value for k in call.keywords if k.arg == "code"]
            name = _call_name(call)
            if name in takes and len(call.args) > takes[name]:
                values.append(call.args[takes[name]])
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    uses.setdefault(value.value, set()).add(_module_name(path))
    return uses


def error_codes_page() -> str:
    """The reStructuredText of the table of error codes."""
    from humanaid.errors import ERROR_CODES

    uses = error_code_uses()
    rows = [
        [
            f"``{code}``",
            meaning,
            ", ".join(f":mod:`~{m}`" for m in sorted(uses.get(code, ()))),
        ]
        for code, meaning in ERROR_CODES.items()
    ]
    return "\n".join(_table(["code", "meaning", "given by"], rows, "20 55 25"))


_LIMIT_CODES: dict[str, str] = {
    "depth": "too-deep",
    "digits": "too-many-digits",
    "integer_digits": "too-many-digits",
    "line_length": "too-long",
    "columns": "too-many-columns",
}


def limits_page() -> str:
    """The reStructuredText of the table of limits (:data:`humanaid.errors.LIMITS`)."""
    from humanaid.errors import LIMITS
    from humanaid.records import TEXT_KINDS

    kinds = {f"{kind}_length": kind for kind in TEXT_KINDS}
    rows = []
    for name, value in LIMITS.items():
        code = _LIMIT_CODES.get(name, "too-long")
        if name in kinds:
            what = f"characters of a text field of kind ``{kinds[name]}``"
        elif name == "id_length":
            what = "characters of an id or a reference"
        else:
            what = {
                "depth": "arrays and objects nested in a JSON document or cell",
                "digits": "digits of a decimal number or an amount",
                "integer_digits": "digits of a whole number",
                "line_length": "characters of one row of a CSV or JSON Lines file",
                "columns": "cells of one CSV row",
            }[name]
        rows.append([f"``{name}``", f"{value:,}", what, f"``{code}``"])
    return "\n".join(_table(["limit", "value", "the most ...", "code"], rows, "20 12 48 20"))


# -- Sphinx -------------------------------------------------------------------------------------

_PAGES = {
    "api": api_reference,
    "rules": rule_codes_page,
    "errors": error_codes_page,
    "limits": limits_page,
}


def _directive_class(write: typing.Callable[[], str]) -> type:
    from docutils import nodes
    from docutils.statemachine import StringList
    from sphinx.util.docutils import SphinxDirective
    from sphinx.util.nodes import nested_parse_with_titles

    class Generated(SphinxDirective):
        """Replaced by text written from the code when the page is read."""

        has_content = False

        def run(self) -> list[nodes.Node]:
            _tree.cache_clear()  # the source as it is now, also in a long-lived process
            for path in _sources():  # read again whenever the library changes
                self.env.note_dependency(str(path))
            source = f"<written by {Path(__file__).name}: {write.__name__}()>"
            container = nodes.section()
            container.document = self.state.document
            lines = StringList(write().splitlines(), source=source)
            nested_parse_with_titles(self.state, lines, container)
            return list(container.children)

    return Generated


def _up_to_the_first_title(
    app: Any, what: str, name: str, obj: object, options: Any, lines: list[str]
) -> None:
    """A module's docstring on the reference page stops before its first section title.

    The sections (the how and why of a module) are for reading the module; a title in the
    middle of a page's section would break the page's outline.
    """
    if what != "module":
        return
    for i in range(1, len(lines)):
        above, line = lines[i - 1].rstrip(), lines[i].rstrip()
        if (
            above
            and line
            and len(set(line)) == 1
            and line[0] in "=-~^\"'`#*+"
            and (len(line) >= len(above))
        ):
            del lines[i - 1 :]
            return


def setup(app: Any) -> dict[str, Any]:
    """Register the four directives."""
    app.add_directive("humanaid-api", _directive_class(api_reference))
    app.add_directive("humanaid-rule-codes", _directive_class(rule_codes_page))
    app.add_directive("humanaid-error-codes", _directive_class(error_codes_page))
    app.add_directive("humanaid-limits", _directive_class(limits_page))
    app.connect("autodoc-process-docstring", _up_to_the_first_title)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    sys.stdout.write(_PAGES[sys.argv[1] if len(sys.argv) > 1 else "api"]())
