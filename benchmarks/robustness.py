"""Robustness sweep: the whole CLI pipeline on every public network we have, and on odd copies.

    python benchmarks/robustness.py [--data /work/shared/data/topologies] [--variants all]
        [--generated 20] [--chunk 0/1] [--time-limit 5] [--sample 10] [--jsonl OUT] [--seed 0]
        [--routing] [--online TRACE[,TRACE...]]

Networks: every Topology Zoo ``.graphml``/``.gml`` and SNDlib ``.txt`` file under ``--data``
(recursively, ``.gz`` too), each also as odd variants written the way a user's file could be:

- ``nocoords``: every Latitude/Longitude removed (SNDlib: coordinates outside lon/lat);
- ``halfcoords``: coordinates removed from every other node;
- ``unicode``: labels replaced by non-ASCII names (CJK, Cyrillic, emoji), half of them equal;
- ``dupedges``: every link written twice, plus a self-loop on every node;
- ``colocated``: pairs of linked nodes at the same position (zero-length links);
- ``disconnected``: a second, smaller component and isolated nodes added;
- ``bigspeed``: absurd, zero and negative link speeds;

plus ``--generated`` random geometric / Waxman PoP graphs (``benchmarks/import_zoo.py``).
``--chunk i/k`` runs the i-th of k interleaved slices (to run the sweep in pieces).

Per network, in-process through the Typer app (what a user runs): ``slimplace import``,
``validate``, ``solve -m greedy``, ``solve -m milp --time-limit`` (odd variants: only when
sampled or with ``--milp-variants``), and on every
``--sample``-th network ``compare`` (greedy, milp and the baselines) and ``simulate``
(2 h at 5 min, no plots). ``--routing`` adds ``solve -m greedy`` and ``-m milp`` with
``--k-paths 3 --link-sleep`` on every network; ``--online`` adds, on every sampled network,
``simulate-compare --trace T --horizon 1d --step 15min`` per trace given (a file, a
``requests:FILE`` log, ``trace:NAME``, ``diurnal``). Every step's printed text and JSON are
checked for non-finite numbers (``nan``/``inf`` printed, or NaN/Infinity in a JSON file, which
strict JSON readers reject). Exit code 2 with a message is the contract for bad input; any
other exception is a traceback (a defect); a scenario ``import`` wrote that a solver
cannot serve is an infeasible generated scenario (a defect); a saving stated against an
infeasible baseline is a defect. Prints one line per network and a summary; ``--jsonl``
writes every row.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import re
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

import networkx as nx
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_zoo import generated_graph
from slimplace.cli import app

VARIANTS = (
    "nocoords",
    "halfcoords",
    "unicode",
    "dupedges",
    "colocated",
    "disconnected",
    "bigspeed",
)
_NAMES = ("Zürich", "東京", "Москва", "São Paulo", "🚀 PoP", "Kraków", "القاهرة", "  ", "None")
_SUFFIXES = (".graphml", ".graphml.gz", ".gml", ".gml.gz", ".txt", ".txt.gz")


# ------------------------------------------------------------------------- inputs


def real_files(data: Path) -> list[Path]:
    """Every topology file under ``data``, sorted."""
    return sorted(
        p
        for p in data.rglob("*")
        if p.is_file()
        and p.name.lower().endswith(_SUFFIXES)
        and not p.name.upper().startswith(("LICENSE", "README"))
    )


def _read_any(path: Path) -> nx.Graph:
    """The raw file as a networkx graph (GraphML or GML) for mutation."""
    if ".gml" in path.name and ".graphml" not in path.name:
        text = path.read_text(encoding="utf-8")
        if "multigraph" not in text:
            text = text.replace("graph [", "graph [\n  multigraph 1", 1)
        return nx.parse_gml(text, label="id")
    return nx.read_graphml(path)


def mutate_graph(g: nx.Graph, variant: str) -> nx.Graph:
    """An odd copy of a raw Zoo graph (see the module docstring)."""
    out = nx.MultiGraph(g) if variant == "dupedges" else nx.Graph(g)
    nodes = list(out.nodes)
    if variant == "nocoords":
        for n in nodes:
            out.nodes[n].pop("Latitude", None)
            out.nodes[n].pop("Longitude", None)
    elif variant == "halfcoords":
        for n in nodes[::2]:
            out.nodes[n].pop("Latitude", None)
            out.nodes[n].pop("Longitude", None)
    elif variant == "unicode":
        for i, n in enumerate(nodes):
            out.nodes[n]["label"] = _NAMES[i % len(_NAMES)] if i % 2 else _NAMES[0]
    elif variant == "dupedges":
        out.add_edges_from(list(out.edges(data=True)))
        out.add_edges_from((n, n) for n in nodes)
    elif variant == "colocated":
        for u, v in list(out.edges)[::2]:
            for key in ("Latitude", "Longitude"):
                if key in out.nodes[u]:
                    out.nodes[v][key] = out.nodes[u][key]
    elif variant == "disconnected":
        k = max(2, len(nodes) // 3)
        extra = [f"island{i}" for i in range(k)]
        for i, x in enumerate(extra):
            out.add_node(x, label=f"Island {i}", Latitude=10.0 + i * 0.1, Longitude=10.0)
        out.add_edges_from(itertools.pairwise(extra))
        out.add_node("lonely", label="Lonely")
    elif variant == "bigspeed":
        for j, (u, v) in enumerate(out.edges):
            out.edges[u, v]["LinkSpeedRaw"] = (1e18, 0.0, -5.0, 1e-9)[j % 4]
    return out


def mutate_sndlib(text: str, variant: str) -> str | None:
    """An odd copy of an SNDlib native file, or None when the variant does not apply."""
    lines = text.splitlines()
    out: list[str] = []
    section = ""
    names: dict[str, str] = {}
    for line in lines:
        s = line.strip()
        if s.endswith("(") and s[:-1].strip().isupper():
            section = s[:-1].strip()
        elif s == ")":
            section = ""
        elif section == "NODES" and variant in ("nocoords", "unicode", "colocated"):
            key, rest = s.split("(", 1)
            key = key.strip()
            if variant == "unicode":
                names[key] = f"{_NAMES[len(names) % 7].replace(' ', '_')}_{len(names)}"
                line = f"  {names[key]} ({rest}"
            elif variant == "nocoords":
                line = f"  {key} ( 9999 9999 )"
            else:
                line = f"  {key} ( 10.0 50.0 )"
        elif section == "LINKS" and variant == "dupedges":
            out.append(line)
        out.append(line)
    if variant == "unicode":
        body = "\n".join(out)
        for old, new in sorted(names.items(), key=lambda x: -len(x[0])):
            body = body.replace(f" {old} ", f" {new} ")
        return body
    if variant not in ("nocoords", "unicode", "dupedges", "colocated"):
        return None
    return "\n".join(out)


def build_inputs(files: list[Path], variants: tuple[str, ...], tmp: Path, n_gen: int, seed: int):
    """(label, path) of every network to try, real files first."""
    items: list[tuple[str, str]] = [(f"{p.parent.name}:{p.name}", str(p)) for p in files]
    for p in files:
        low = p.name.lower()
        for v in variants:
            if low.endswith((".txt", ".txt.gz")):
                if low.endswith(".gz"):
                    continue
                text = mutate_sndlib(p.read_text(encoding="utf-8"), v)
                if text is None:
                    continue
                dest = tmp / f"{p.stem}-{v}.txt"
                dest.write_text(text, encoding="utf-8")
            else:
                try:
                    g = mutate_graph(_read_any(p), v)
                except Exception as exc:  # the raw read failing is the import's job to report
                    items.append((f"{p.name}+{v}", f"!{exc!r}"))
                    continue
                dest = tmp / f"{p.name.split('.')[0]}-{v}.graphml"
                nx.write_graphml(_stringify(g), dest)
            items.append((f"{p.parent.name}:{p.name}+{v}", str(dest)))
    for i in range(n_gen):
        g = generated_graph(i, seed)
        dest = tmp / f"{g.graph['name']}.graphml"
        nx.write_graphml(g, dest)
        items.append((f"generated:{g.graph['name']}", str(dest)))
    return items


def _stringify(g: nx.Graph) -> nx.Graph:
    """GraphML writes only str/int/float/bool attributes; drop the rest."""
    ok = (str, int, float, bool)
    for _, d in g.nodes(data=True):
        for k in [k for k, v in d.items() if not isinstance(v, ok)]:
            del d[k]
    for *_, d in g.edges(data=True):
        for k in [k for k, v in d.items() if not isinstance(v, ok)]:
            del d[k]
    g.graph = {k: v for k, v in g.graph.items() if isinstance(v, ok)}
    return g


# ------------------------------------------------------------------------- pipeline


def _invoke(runner: CliRunner, args: list[str]) -> dict[str, Any]:
    t0 = time.perf_counter()
    res = runner.invoke(app, args, catch_exceptions=True)
    out: dict[str, Any] = {"rc": res.exit_code, "s": round(time.perf_counter() - t0, 2)}
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        out["traceback"] = "".join(traceback.format_exception(res.exception))[-2000:]
    text = (res.stdout or "") + (res.stderr or "")
    out["first"] = next((ln for ln in text.splitlines() if ln.strip()), "")[:200]
    out["text"] = text[-1500:]
    return out


def run_network(label: str, path: str, work: Path, args: argparse.Namespace, sample: bool):
    """The pipeline on one network; a row of what happened."""
    runner = CliRunner()
    row: dict[str, Any] = {"network": label, "steps": {}}
    if path.startswith("!"):
        row["status"] = "mutation-failed"
        row["why"] = path[1:]
        return row
    yaml = work / "scenario.yaml"
    step = _invoke(runner, ["import", path, "-o", str(yaml), "--seed", str(args.seed)])
    row["steps"]["import"] = step
    if "traceback" in step:
        row["status"] = "traceback:import"
        return row
    if step["rc"] != 0:
        row["status"] = "import-refused" if step["rc"] == 2 else "import-failed"
        row["why"] = step["text"].strip().splitlines()[0][:200] if step["text"].strip() else ""
        row["why_all"] = step["text"].strip()[:600]
        return row
    row["summary"] = step["first"]
    if args.import_only:
        row["status"] = "ok"
        return row
    steps: list[tuple[str, list[str]]] = [
        ("validate", ["validate", str(yaml)]),
        ("greedy", ["solve", str(yaml), "-m", "greedy", "--json", str(work / "g.json")]),
    ]
    with_milp = sample or "+" not in label or args.milp_variants

    def milp(extra: list[str], out: str) -> list[str]:
        limit = ["--time-limit", str(args.time_limit)]
        return ["solve", str(yaml), "-m", "milp", *extra, *limit, "--json", str(work / out)]

    if with_milp:
        steps.append(("milp", milp([], "m.json")))
    if args.routing:
        k3 = ["--k-paths", "3", "--link-sleep"]
        greedy_k3 = ["solve", str(yaml), "-m", "greedy", *k3, "--json", str(work / "gk.json")]
        steps.append(("greedy-k3", greedy_k3))
        if with_milp:
            steps.append(("milp-k3", milp(k3, "mk.json")))
    if sample:
        for j, trace in enumerate(t for t in args.online.split(",") if t):
            steps.append(
                (
                    f"online{j}",
                    [
                        "simulate-compare",
                        str(yaml),
                        "--trace",
                        trace,
                        "--horizon",
                        "1d",
                        "--step",
                        "15min",
                        "--json",
                        str(work / f"o{j}.json"),
                    ],
                )
            )
        steps.append(
            (
                "compare",
                [
                    "compare",
                    str(yaml),
                    "--methods",
                    "greedy,milp,edge-first,cloud-only,device-local,nearest-feasible",
                    "--time-limit",
                    str(args.time_limit),
                    "--json",
                    str(work / "c.json"),
                ],
            )
        )
        steps.append(
            (
                "simulate",
                [
                    "simulate",
                    str(yaml),
                    "--horizon",
                    "2h",
                    "--step",
                    "5min",
                    "--no-plots",
                    "-o",
                    str(work / "sim"),
                    "--seed",
                    str(args.seed),
                ],
            )
        )
    row["status"] = "ok"
    for name, argv in steps:
        step = _invoke(runner, argv)
        row["steps"][name] = step
        if "traceback" in step:
            row["status"] = f"traceback:{name}"
            return row
        checked = name in ("greedy", "milp", "greedy-k3", "milp-k3", "validate", "simulate")
        if (checked or name.startswith("online")) and step["rc"] != 0:
            row["status"] = f"failed:{name}"
            row["why"] = step["first"]
        bad = _nonfinite(step["text"], argv)
        if bad and row["status"] == "ok":
            row["status"] = f"nonfinite:{name}"
            row["why"] = bad
    pairs = (("greedy-k3", "g.json", "gk.json"), ("milp-k3", "m.json", "mk.json"))
    for name, base, routed in pairs:
        worse = _routing_worse(work / base, work / routed)
        if worse:
            row.setdefault("notes", []).append(f"{name}: {worse}")
    if sample:
        row["savings_problem"] = _check_savings(work / "c.json")
        if row["savings_problem"] and row["status"] == "ok":
            row["status"] = "bad-savings"
    return row


_NONFINITE = re.compile(r"(?<![\w.])-?(nan|inf|infinity)(?![\w])", re.IGNORECASE)


def _nonfinite(text: str, argv: list[str]) -> str:
    """'' when neither the printed text nor the step's JSON file holds a non-finite number."""
    m = _NONFINITE.search(text)
    if m is not None:
        return f"printed {m.group(0)!r}: ...{text[max(0, m.start() - 60) : m.end() + 20]!r}"
    if "--json" in argv:
        path = Path(argv[argv.index("--json") + 1])
        if path.exists():

            def _reject(token: str) -> float:
                raise ValueError(token)

            try:
                json.loads(path.read_text(), parse_constant=_reject)
            except ValueError as exc:
                return f"JSON {path.name} holds {exc}"
    return ""


def _routing_worse(base: Path, routed: Path) -> str:
    """'' unless routing as a decision gave a worse objective than fixed paths (or none)."""
    if not (base.exists() and routed.exists()):
        return ""
    a, b = json.loads(base.read_text()), json.loads(routed.read_text())
    fa, fb = a.get("reported_objective"), b.get("reported_objective")
    if fa is None or fb is None:
        return f"status {a.get('status')} -> {b.get('status')}" if fa is not None else ""
    if fb > fa * (1 + 1e-6):
        return f"objective {fa:.1f} -> {fb:.1f} ({a.get('status')} -> {b.get('status')})"
    return ""


def _check_savings(path: Path) -> str:
    """'' when every saving stated is against a feasible baseline, else what is wrong."""
    if not path.exists():
        return "compare wrote no JSON"
    doc = json.loads(path.read_text())
    s = doc.get("savings", {})
    for b in s.get("baselines", []):
        if not b["feasible"] and (b["saving_plan"] is not None or b["saving_total"] is not None):
            return f"saving stated against infeasible baseline {b['method']}"
    ref = s.get("reference_baseline")
    if ref is not None and not any(
        b["method"] == ref and b["feasible"] for b in s.get("baselines", [])
    ):
        return f"reference baseline {ref} is not feasible"
    return ""


# ------------------------------------------------------------------------- report


def summarise(rows: list[dict[str, Any]]) -> None:
    """Totals: networks tried, refusals by reason, failures, tracebacks."""
    status = Counter(r["status"].split(":")[0] for r in rows)
    print(f"\n{len(rows)} networks tried: " + ", ".join(f"{k} {v}" for k, v in status.items()))
    refused = Counter(_reason(r.get("why", "")) for r in rows if r["status"] == "import-refused")
    for why, n in refused.most_common():
        print(f"  import refused x{n}: {why}")
    infeasible = [r for r in rows if r["status"].startswith("failed:")]
    for r in infeasible:
        print(f"  solver/command failure {r['network']} [{r['status']}]: {r.get('why', '')}")
    for r in rows:
        if r["status"].startswith("traceback") or r["status"] in ("bad-savings", "import-failed"):
            step = r["status"].split(":")[-1]
            tb = r["steps"].get(step, {}).get("traceback", r.get("why_all", ""))
            print(f"  DEFECT {r['network']} [{r['status']}]: {tb.strip().splitlines()[-1:]} ")
    oks = [r for r in rows if r["status"] == "ok"]
    sims = sum("simulate" in r["steps"] for r in oks)
    cmps = sum("compare" in r["steps"] for r in oks)
    print(f"  pipeline complete on {len(oks)} ({cmps} with compare, {sims} with simulate)")
    for r in rows:
        if r["status"].startswith("nonfinite"):
            print(f"  DEFECT {r['network']} [{r['status']}]: {r.get('why', '')[:160]}")
        for note in r.get("notes", []):
            print(f"  note {r['network']}: {note}")


def _reason(why: str) -> str:
    """A refusal message without the file name, to group by reason."""
    return why.split(": ", 1)[-1][:110] if ": " in why else why[:110]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=Path("/work/shared/data/topologies"))
    p.add_argument("--variants", default="all", help="comma list, 'all' or 'none'")
    p.add_argument("--generated", type=int, default=20)
    p.add_argument("--chunk", default="0/1")
    p.add_argument("--time-limit", type=float, default=5.0)
    p.add_argument("--sample", type=int, default=10, help="compare+simulate every N-th")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jsonl", type=Path, default=None)
    p.add_argument("--only", default="", help="substring filter on labels")
    p.add_argument("--import-only", action="store_true", help="only slimplace import")
    p.add_argument("--milp-variants", action="store_true", help="also milp on every odd variant")
    p.add_argument("--routing", action="store_true", help="also --k-paths 3 --link-sleep")
    p.add_argument("--online", default="", help="simulate-compare on sampled networks per trace")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    variants = (
        VARIANTS
        if args.variants == "all"
        else ()
        if args.variants == "none"
        else tuple(args.variants.split(","))
    )
    i, k = (int(x) for x in args.chunk.split("/"))
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        items = build_inputs(real_files(args.data), variants, tmp, args.generated, args.seed)
        items = [it for it in items if args.only in it[0]][i::k]
        for j, (label, path) in enumerate(items):
            work = tmp / f"w{j}"
            work.mkdir()
            row = run_network(label, path, work, args, sample=j % args.sample == 0)
            rows.append(row)
            steps = " ".join(f"{n}={s['rc']}({s['s']}s)" for n, s in row["steps"].items())
            print(f"{label:<48} {row['status']:<18} {steps} {row.get('why', '')[:90]}", flush=True)
            if args.jsonl is not None:
                with args.jsonl.open("a") as fh:
                    fh.write(json.dumps(row) + "\n")
    summarise(rows)
    bad = [r for r in rows if r["status"] not in ("ok", "import-refused")]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
