"""Pages and tables of the documentation generated from the registries and the code at build time.

Directives (in MyST: ```` ```{name} argument ```` fences):

- ``abm-command ARGS``: runs ``abm ARGS`` in this process and shows what it prints (``:markdown:``: parsed as
  Markdown, e.g. ``levers --markdown``); so the command-line help and the generated tables are always today's.
- ``abm-table NAME``: a table from a registry or data file: ``outcomes``, ``targets``, ``facts``, ``constants``,
  ``data-files``.
- ``odd-schedule``: the stages of ``MigrationModel.STAGES`` in order, each with its docstring, linked to its submodel
  section (label ``odd-<stage>``).
- ``odd-submodel``: a submodel's stage, its code (checked by importing it, linked to its source) and what that code
  reads: parameters, levers, constants, place inputs, facts and data files, found in its source (and in the
  project functions it calls by name).

The build fails (warnings are errors) when a stage of ``step`` has no submodel section, when a submodel names code
that does not exist, or when a command fails. The API reference pages (``reference/api/``) are written when the
build starts, one per module of ``abm``, ``agents``, ``environment`` and ``experiments``; the web page's modules
(importing Solara is slow) are listed with their docstrings read from the source instead.
"""

from __future__ import annotations

import ast
import contextlib
import csv
import importlib
import inspect
import io
import pkgutil
import re
import shlex
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("abm", "agents", "environment", "experiments")
WEB_PAGE = re.compile(r"^abm\.(app(_\w+)?|web(\.\w+)*)$")  # the Solara page's modules: not imported at build time
API_DIR = "reference/api"
STEP = "abm.model.MigrationModel.step"


# ------------------------------------------------------------------ helpers


def parse_markdown(directive: SphinxDirective, text: str) -> list[nodes.Node]:
    """``text`` parsed as MyST Markdown in the directive's document."""
    container = nodes.container()
    directive.state.nested_parse(StringList(text.splitlines(), source=directive.get_source_info()[0]), 0, container)
    return container.children


def resolve(path: str) -> Any:
    """The object at a dotted ``path`` (module, then attributes), or raise ImportError/AttributeError."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for name in parts[i:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(path)


def source_link(path: str) -> nodes.reference:
    """A link to ``path``'s source in the site's code pages (viewcode), filled in when the page is written."""
    obj = resolve(path)
    module = obj.__name__ if isinstance(obj, ModuleType) else obj.__module__
    anchor = "" if isinstance(obj, ModuleType) else path[len(module) + 1 :]
    ref = nodes.reference("", "", internal=True)
    ref["abm_source"] = (module, anchor)
    ref += nodes.literal(path, path)
    return ref


def fill_source_links(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Point the source links of ``docname`` at viewcode's pages, relative to the page."""
    for ref in doctree.findall(nodes.reference):
        if "abm_source" in ref:
            module, anchor = ref["abm_source"]
            uri = app.builder.get_relative_uri(docname, "_modules/" + module.replace(".", "/"))
            ref["refuri"] = uri + (f"#{anchor}" if anchor else "")


def step_stages() -> list[tuple[str, str]]:
    """The stages ``MigrationModel.STAGES`` declares (``step`` runs them in order), each with its docstring."""
    model = resolve(STEP.rsplit(".", 1)[0])
    return [(stage.method, inspect.getdoc(getattr(model, stage.method)) or "") for stage in model.STAGES]


def first_sentence(doc: str) -> str:
    return " ".join(doc.split("\n\n")[0].split())


# ------------------------------------------------------------------ what code reads


class Reads:
    """Settings, constants, inputs and data files named in code, directly or in the project functions it calls."""

    FOLLOW_NOT = ("environment.settings", "environment.inputs")  # the registries' own readers: read everything

    def __init__(self) -> None:
        from environment.settings import levers, parameters

        self.parameter_keys, self.lever_keys = set(parameters()), set(levers())
        self.found: dict[str, set[str]] = {k: set() for k in KINDS}
        self.seen: set[int] = set()
        self._module_names: dict[str, dict[str, tuple[str, str]]] = {}

    def module_names(self, module: ModuleType | None) -> dict[str, tuple[str, str]]:
        """Module-level names bound to a constant or an input (``FERTILE_AGES = tuple(constant("fertile_ages"))``)."""
        if module is None:
            return {}
        if module.__name__ not in self._module_names:
            found: dict[str, tuple[str, str]] = {}
            try:
                tree = ast.parse(inspect.getsource(module))
            except (OSError, TypeError):
                tree = ast.Module(body=[], type_ignores=[])
            for stmt in tree.body:
                if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
                    calls = [self._call_of(n) for n in ast.walk(stmt.value) if isinstance(n, ast.Call)]
                    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                    for target in targets:
                        for name in ast.walk(target):
                            if isinstance(name, ast.Name):
                                for call in filter(None, calls):
                                    found[name.id] = call
            self._module_names[module.__name__] = found
        return self._module_names[module.__name__]

    def scan(self, obj: Any, depth: int = 0) -> None:
        if id(obj) in self.seen or depth > 3:
            return
        self.seen.add(id(obj))
        try:
            source = textwrap.dedent(inspect.getsource(obj))
        except (OSError, TypeError):
            return
        module = inspect.getmodule(obj)
        bound = self.module_names(module)
        owner = resolve(f"{obj.__module__}.{obj.__qualname__.rsplit('.', 1)[0]}") if "." in obj.__qualname__ else None
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Attribute):
                self._name(node.attr, attribute=True)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                self._name(node.value, attribute=False)
            elif isinstance(node, ast.Name) and node.id in bound:
                kind, key = bound[node.id]
                self.found[kind].add(key)
            if isinstance(node, ast.Call):
                self._call(node)
                for callee in self._callees(node, module, owner):
                    self.scan(callee, depth + 1)

    def _name(self, name: str, attribute: bool) -> None:
        if name in self.parameter_keys:
            self.found["parameters"].add(name)
        elif name in self.lever_keys and not attribute:
            self.found["levers"].add(name)

    def _call(self, node: ast.Call) -> None:
        found = self._call_of(node)
        if found:
            self.found[found[0]].add(found[1])

    @staticmethod
    def _call_of(node: ast.Call) -> tuple[str, str] | None:
        """(kind, key) of a call such as ``constant("adult_age")`` or ``read_csv("zones.csv")``, else None."""
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        arg = node.args[0] if node.args else None
        text = arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None
        kind = CALLS.get(name)
        return (kind, text) if kind and text else None

    def _callees(self, node: ast.Call, module: ModuleType | None, owner: Any) -> Iterable[Any]:
        func = node.func
        target = None
        if isinstance(func, ast.Name) and module is not None:
            target = module.__dict__.get(func.id)
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if func.value.id in ("self", "cls") and owner is not None:
                target = inspect.getattr_static(owner, func.attr, None)
                target = getattr(target, "__func__", target)
            elif module is not None and isinstance(module.__dict__.get(func.value.id), ModuleType):
                target = getattr(module.__dict__[func.value.id], func.attr, None)
        if target is None or not (inspect.isfunction(target) or inspect.isclass(target)):
            return []
        home = getattr(target, "__module__", "") or ""
        if home.split(".")[0] not in PACKAGES or home in self.FOLLOW_NOT:
            return []
        return [target]


KINDS = {
    "parameters": "Parameters",
    "levers": "Levers",
    "constants": "Constants (constants.toml)",
    "place inputs": "Place inputs (place_inputs.csv)",
    "facts": "Facts (facts.csv)",
    "data files": "Data files",
}
CALLS = {
    "constant": "constants",
    "place_value": "place inputs",
    "place_values": "place inputs",
    "place_input": "place inputs",
    "fact": "facts",
    "read_csv": "data files",
    "read_toml": "data files",
}


def reads(paths: Iterable[str]) -> dict[str, list[str]]:
    """What the code at ``paths`` reads, by kind (sorted)."""
    scanner = Reads()
    for path in paths:
        scanner.scan(resolve(path))
    return {kind: sorted(found) for kind, found in scanner.found.items() if found}


# ------------------------------------------------------------------ directives


class AbmCommand(SphinxDirective):
    """``abm ARGS`` run in this process; its standard output shown (as Markdown with ``:markdown:``)."""

    required_arguments = 1
    final_argument_whitespace = True
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {"markdown": directives.flag}

    def run(self) -> list[nodes.Node]:
        from experiments.cli import main

        args = shlex.split(self.arguments[0])
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            try:
                status = main(args)
            except SystemExit as e:  # --help
                status = e.code or 0
        if status:
            raise self.error(f"abm {self.arguments[0]}: exit status {status}")
        text = out.getvalue()
        if "markdown" in self.options:
            lines = [line for line in text.splitlines() if not line.startswith("# ")]
            return parse_markdown(self, "\n".join(lines))
        block = nodes.literal_block(text, text, language="text")
        return [block]


def _md_table(header: list[str], rows: Iterable[Iterable[Any]]) -> str:
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def outcomes_table() -> str:
    from abm.outcomes import OUTCOMES

    rows = []
    for o in OUTCOMES.values():
        places = f" ({o.place_column + ' in ' if o.place_column else ''}{o.places})" if o.places else ""
        extra = [
            f"since {o.since}" if o.since else "",
            f"by {o.by}" if o.by else "",
            f"target `{o.target}`" * bool(o.target),
        ]
        rows.append(
            (
                f"`{o.key}`",
                f"{o.name_en}<br>{o.name_zh}",
                o.unit,
                f"`{o.table}.{o.column}`{places}",
                ", ".join(filter(None, extra)),
                "yes" if o.sensitivity else "",
            )
        )
    return _md_table(["key", "outcome", "unit", "from", "notes", "sensitivity"], rows)


def targets_table() -> str:
    from environment.targets import targets

    rows = [
        (f"`{key}`", f"{t.name_en}<br>{t.name_zh}", t.year or "long run", f"{t.value:,g}", t.unit, t.basis)
        for key, t in targets().items()
    ]
    return _md_table(["key", "target", "year", "plan", "unit", "basis"], rows)


def facts_table() -> str:
    with open(ROOT / "environment/data/facts.csv", encoding="utf-8", newline="") as f:
        rows = [
            (f"`{r['key']}`", r["place"], r["year"], r["value"], r["unit"], r["confidence"], r["source"])
            for r in csv.DictReader(f)
        ]
    return _md_table(["key", "place", "year", "value", "unit", "confidence", "source"], rows)


def constants_table() -> str:
    from environment.inputs import read_toml

    rows = []
    for key, c in read_toml("constants.toml").items():
        if isinstance(c, dict):
            rows.append((f"`{key}`", c.get("value"), c.get("unit", ""), c.get("basis", "")))
    return _md_table(["key", "value", "unit", "basis"], rows)


def data_files_table() -> str:
    rows = []
    for path in sorted((ROOT / "environment/data").iterdir()):
        if path.suffix in (".csv", ".toml"):
            text = path.read_text(encoding="utf-8")
            first = next(
                (ln.lstrip("# ").strip() for ln in text.splitlines() if ln.startswith("#") and ln.strip("# ")), ""
            )
            size = f"{sum(1 for _ in csv.reader(io.StringIO(text))) - 1} rows" if path.suffix == ".csv" else "TOML"
            rows.append((f"`{path.name}`", size, first))
    return _md_table(["file", "size", "first comment line"], rows)


TABLES: dict[str, Callable[[], str]] = {
    "outcomes": outcomes_table,
    "targets": targets_table,
    "facts": facts_table,
    "constants": constants_table,
    "data-files": data_files_table,
}


class AbmTable(SphinxDirective):
    """A table generated from a registry or data file."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        if name not in TABLES:
            raise self.error(f"abm-table {name!r}: one of {', '.join(TABLES)}")
        return parse_markdown(self, TABLES[name]())


class OddSchedule(SphinxDirective):
    """The stages of ``MigrationModel.step`` in order, each linked to its submodel section (label ``odd-<stage>``;
    a stage without one is an undefined label: a warning, so an error in the build)."""

    def run(self) -> list[nodes.Node]:
        items = []
        for i, (name, doc) in enumerate(step_stages(), start=1):
            label = f"odd-{name.replace('_', '-')}"
            items.append(f"{i}. {{ref}}`{name}() <{label}>` — {as_markdown(first_sentence(doc))}")
        return parse_markdown(self, "\n".join(items))


def as_markdown(text: str) -> str:
    """A docstring's reStructuredText literals and roles (````x````, ``:meth:`x```) as Markdown code."""
    text = re.sub(r"``(.+?)``", r"`\1`", text)
    return re.sub(r":[a-z]+:`~?([^`]+)`", r"`\1`", text)


class OddSubmodel(SphinxDirective):
    """A submodel's stage, code and what the code reads (generated)."""

    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {
        "stage": directives.unchanged_required,
        "code": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        stage = self.options["stage"]
        code = self.options.get("code", "").split()
        paths = [f"{STEP.rsplit('.', 1)[0]}.{stage}", *code]
        for path in paths:
            try:
                resolve(path)
            except (ImportError, AttributeError) as e:
                raise self.error(f"odd-submodel: {path} does not exist ({e})") from None
        self.env.domaindata.setdefault("abm_odd", {}).setdefault("stages", {})[stage] = self.env.docname
        fields = nodes.field_list()
        fields += _field("Stage", [source_link(paths[0])])
        if code:
            fields += _field("Code", _joined([source_link(p) for p in code]))
        for kind, names in reads(paths).items():
            fields += _field(KINDS[kind], _joined([nodes.literal(n, n) for n in names]))
        return [fields]


def _field(name: str, body: list[nodes.Node]) -> nodes.field:
    return nodes.field("", nodes.field_name(name, name), nodes.field_body("", nodes.paragraph("", "", *body)))


def _joined(items: list[nodes.Node]) -> list[nodes.Node]:
    out: list[nodes.Node] = []
    for i, item in enumerate(items):
        if i:
            out.append(nodes.Text(", "))
        out.append(item)
    return out


def check_every_stage_described(app: Sphinx, env) -> None:
    described = env.domaindata.get("abm_odd", {}).get("stages", {})
    for name, _ in step_stages():
        if name not in described:
            logger.warning(f"ODD: the stage {name}() of MigrationModel.step has no odd-submodel section")


def purge_stages(app: Sphinx, env, docname: str) -> None:
    stages = env.domaindata.get("abm_odd", {}).get("stages", {})
    for stage in [s for s, doc in stages.items() if doc == docname]:
        del stages[stage]


# ------------------------------------------------------------------ API reference pages


def modules() -> list[str]:
    """Every module of the four packages, in order (packages first)."""
    names = []
    for package in PACKAGES:
        names.append(package)
        path = [str(ROOT / package)]
        names += sorted(f"{package}.{m.name}" for m in pkgutil.walk_packages(path) if not m.name.startswith("_"))
    return names


def write_api_pages(app: Sphinx) -> None:
    """One page per module (``automodule``), and an index grouped by package; unchanged files are not rewritten."""
    out = Path(app.srcdir) / API_DIR
    out.mkdir(parents=True, exist_ok=True)
    wanted = {}
    index = [
        "# API reference",
        "",
        "Generated from the docstrings when the site is built (one page per module; each object links to its source).",
        "",
    ]
    page_modules = []
    for package in PACKAGES:
        members = [m for m in modules() if m == package or m.startswith(package + ".")]
        shown = [m for m in members if not WEB_PAGE.match(m)]
        page_modules += [m for m in members if WEB_PAGE.match(m)]
        index += [f"## `{package}`", "", "```{toctree}", ":maxdepth: 1", "", *shown, "```", ""]
        for m in shown:
            wanted[f"{m}.md"] = f"# `{m}`\n\n```{{eval-rst}}\n.. automodule:: {m}\n   :members:\n```\n"
    if page_modules:
        index += [
            "## The web page's modules",
            "",
            "Not imported when the site is built (importing Solara takes seconds); their docstrings, from the source:",
            "",
        ]
        for m in page_modules:
            path = ROOT / (m.replace(".", "/") + ".py")
            if not path.is_file():
                path = ROOT / m.replace(".", "/") / "__init__.py"
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
            index.append(f"- `{m}`: {first_sentence(doc)}")
        index.append("")
    wanted["index.md"] = "\n".join(index)
    for name, text in wanted.items():
        path = out / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    for stale in set(p.name for p in out.glob("*.md")) - set(wanted):
        (out / stale).unlink()


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("abm-command", AbmCommand)
    app.add_directive("abm-table", AbmTable)
    app.add_directive("odd-schedule", OddSchedule)
    app.add_directive("odd-submodel", OddSubmodel)
    app.connect("builder-inited", write_api_pages)
    app.connect("env-check-consistency", check_every_stage_described)
    app.connect("env-purge-doc", purge_stages)
    app.connect("doctree-resolved", fill_source_links)
    return {"version": "1", "parallel_read_safe": False, "parallel_write_safe": True}
