"""Turn raw results into the comparison table (console and docs/benchmarks.md)."""

from __future__ import annotations

from pathlib import Path

# (label, phase, metric, better, target factor or None)
# better="higher": ratio = regista / mlflow; better="lower": ratio = mlflow / regista. Either way the ratio
# is "how many times better regista is", which is what the targets are stated in.
ROWS = [
    ("0. GET /health (HTTP stack floor, no target)", "health", "throughput", "higher", None),
    ("1. create registered models", "create_registered_models", "throughput", "higher", 20),
    ("2. create model versions", "create_model_versions", "throughput", "higher", 20),
    ("3. set alias", "set_aliases", "throughput", "higher", 20),
    ("4. mixed point reads", "point_reads", "throughput", "higher", 30),
    ("5a. registered-models/search, page p50", "search_registered_models", "p50_ms", "lower", 10),
    ("5b. model-versions/search, page p50", "search_model_versions", "p50_ms", "lower", 10),
    ("6. runs/log-batch (100 metrics + 20 params)", "log_batch", "throughput", "higher", 20),
    ("7. runs/search `metrics.m0 > 0.5` by m0 DESC, pages/s", "search_runs", "throughput", "higher", 50),
    ("(seed) runs/create", "create_runs", "throughput", "higher", None),
]
DESCRIPTIONS = {
    "setup": "setup",
    "warmup": "warm-up (untimed)",
    "health": "GET /health",
    "create_runs": "runs/create",
    "log_batch": "runs/log-batch",
    "create_registered_models": "registered-models/create",
    "create_model_versions": "model-versions/create",
    "set_aliases": "registered-models/alias POST",
    "point_reads": "mixed point reads",
    "search_registered_models": "registered-models/search paging",
    "search_model_versions": "model-versions/search paging",
    "search_runs": "runs/search paging",
    "concurrent_versions": "32 concurrent version creates",
}


def fmt(v: float | None, digits: int | None = None) -> str:
    if v is None:
        return "–"
    if digits is None:
        digits = 0 if abs(v) >= 100 else 1 if abs(v) >= 10 else 2
    return f"{v:,.{digits}f}"


def phase_line(phase: str, r: dict) -> str:
    if "failed" in r:
        return f"{DESCRIPTIONS.get(phase, phase)}: FAILED {r['failed']}"
    parts = [f"{DESCRIPTIONS.get(phase, phase)}:"]
    if r.get("throughput") is not None:
        parts.append(f"{fmt(r['throughput'])} {r.get('unit', 'calls')}/s p50 {fmt(r['p50_ms'])} ms "
                     f"p95 {fmt(r['p95_ms'])} ms, {r['calls']} calls in {fmt(r['wall_s'])} s,")
        parts.append(f"client CPU {fmt(r.get('client_cpu_pct'), 0)}%, server CPU "
                     f"{fmt(r.get('server_cpu_ms_per_call'))} ms/call, other load "
                     f"{fmt(r.get('other_load_cores'))} cores,")
    elif r.get("wall_s") is not None:
        parts.append(f"{fmt(r['wall_s'])} s,")
    if r.get("errors"):
        parts.append(f"{r['errors']} ERRORS (first: {r['error_samples'][:1]}),")
    check = r.get("check", {})
    parts.append("check " + ("ok" if check.get("ok") else f"FAILED {check}"))
    return " ".join(parts)


def _phase(results: dict, kind: str, phase: str) -> dict | None:
    r = results.get(kind, {}).get("phases", {}).get(phase)
    if r is None or "failed" in r or not r.get("check", {}).get("ok", False) and r.get("errors"):
        return None
    return r


def _ratio(m: float | None, r: float | None, better: str) -> float | None:
    if not m or not r:
        return None
    return r / m if better == "higher" else m / r


def _verdict(ratio: float | None, target: float | None, valid: bool = True) -> str:
    if target is None:
        return ""
    if ratio is None or not valid:
        return "FAIL" if ratio is not None else "n/a"
    return "PASS" if ratio >= target else "FAIL"


def rows(results: dict) -> list[list[str]]:
    out: list[list[str]] = []
    for label, phase, metric, better, target in ROWS:
        m, r = _phase(results, "mlflow", phase), _phase(results, "regista", phase)
        rr = results.get("regista", {}).get("phases", {}).get(phase)
        valid = bool(rr and rr.get("check", {}).get("ok") and not rr.get("errors"))

        def cell(p: dict | None, raw: dict | None) -> tuple[str, str]:
            if p is None:
                if raw is None:
                    return "–", "–"
                return "failed", "failed"
            unit = "pages/s" if p.get("unit") == "pages" else "/s"
            return f"{fmt(p['throughput'])} {unit}", f"{fmt(p['p50_ms'])} / {fmt(p['p95_ms'])}"

        mt, ml = cell(m, results.get("mlflow", {}).get("phases", {}).get(phase))
        rt, rl = cell(r, rr)
        ratio = _ratio(m and m.get(metric), r and r.get(metric), better)
        basis = "throughput" if metric == "throughput" else "p50"
        cpu = _ratio(m and m.get("server_cpu_ms_per_call"), r and r.get("server_cpu_ms_per_call"), "lower")
        out.append([label, mt, ml, rt, rl, f"×{fmt(ratio)} ({basis})" if ratio else "–",
                    f"×{target}" if target else "", _verdict(ratio, target, valid), f"×{fmt(cpu)}" if cpu else "–"])
    # 8. concurrency correctness
    cells = []
    for kind in ("mlflow", "regista"):
        c = results.get(kind, {}).get("phases", {}).get("concurrent_versions")
        if c is None:
            cells.append("–")
        elif "failed" in c:
            cells.append("failed")
        else:
            ok = c.get("check", {}).get("ok")
            cells.append(("exact 1..32" if ok else f"WRONG ({c.get('errors', 0)} errors)") +
                         f" in {fmt(c.get('wall_s'))} s")
    r_ok = cells[1].startswith("exact")
    out.append(["8. 32 concurrent version creates, one model", cells[0], "", cells[1], "", "",
                "exact 1..32", "PASS" if r_ok else ("FAIL" if cells[1] != "–" else "n/a"), ""])
    # 9. memory
    mm, rm = results.get("mlflow", {}).get("peak_rss_mib"), results.get("regista", {}).get("peak_rss_mib")
    ratio = _ratio(mm, rm, "lower")
    out.append(["9. peak RSS of the server process tree",
                f"{fmt(mm, 0)} MiB" if mm else "–", f"{results.get('mlflow', {}).get('peak_processes', '–')} process(es)",
                f"{fmt(rm, 0)} MiB" if rm else "–", f"{results.get('regista', {}).get('peak_processes', '–')} process(es)",
                f"×{fmt(ratio)} (MLflow/regista)" if ratio else "–", "≤ 1/10 (×10)", _verdict(ratio, 10), ""])
    ms, rs = results.get("mlflow", {}).get("startup_s"), results.get("regista", {}).get("startup_s")
    ratio = _ratio(ms, rs, "lower")
    out.append(["spawn → first healthy /health", f"{fmt(ms)} s" if ms else "–", "", f"{fmt(rs)} s" if rs else "–",
                "", f"×{fmt(ratio)}" if ratio else "–", "", "", ""])
    return out


AUTH_HEADER = ["Phase", "regista, auth off", "regista, auth on", "auth on / auth off", "target", "verdict",
               "server CPU/call, off / on ms"]
# The budget for authentication: auth on keeps at least 80% of auth-off performance.
AUTH_FLOOR = 0.8


def auth_rows(results: dict) -> list[list[str]]:
    """regista with --auth (as a non-admin service principal) against regista without, phase by phase."""
    out: list[list[str]] = []
    for label, phase, metric, better, _target in ROWS:
        off, on = _phase(results, "regista", phase), _phase(results, "regista-auth", phase)
        if off is None and on is None:
            continue
        # Kept share of performance: throughput on/off, or latency off/on; 1.0 means no cost.
        kept = _ratio(off and off.get(metric), on and on.get(metric), better)
        unit = "p50 ms" if metric == "p50_ms" else ("pages/s" if (off or on or {}).get("unit") == "pages" else "/s")

        def cell(r: dict | None, metric: str = metric, unit: str = unit) -> str:
            return f"{fmt(r.get(metric))} {unit}" if r else "failed"

        cpu = f"{fmt(off and off.get('server_cpu_ms_per_call'))} / {fmt(on and on.get('server_cpu_ms_per_call'))}"
        verdict = "" if kept is None else ("PASS" if kept >= AUTH_FLOOR else "FAIL")
        out.append([label, cell(off), cell(on), f"{kept * 100:.0f}%" if kept else "–", "≥ 80%", verdict, cpu])
    return out


def auth_section(results: dict) -> str:
    if "regista-auth" not in results:
        return "Not measured in this run (run without `--only`, or with `--only regista-auth`)."
    return _md(auth_rows(results), AUTH_HEADER)


HEADER = ["Phase", "MLflow rate", "MLflow p50 / p95 ms", "regista rate", "regista p50 / p95 ms",
          "ratio (regista better by)", "target", "verdict", "server CPU/call ratio"]


def _text_table(header: list[str], body: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=False)) for r in [header, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def table(by_backend: dict, meta: dict) -> str:
    """The console tables, one set per database."""
    parts = []
    for backend, results in by_backend.items():
        text = f"== {BACKEND_NAMES.get(backend, backend)} ==\n" + _text_table(HEADER, rows(results))
        if "regista-auth" in results:
            text += "\n\nAuthentication on vs off (regista):\n" + _text_table(AUTH_HEADER, auth_rows(results))
        parts.append(text)
    return "\n\n".join(parts)


def _md(rows_: list[list[str]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows_]
    return "\n".join(lines)


def details(results: dict) -> str:
    header = ["Phase", "server", "calls", "errors", "wall s", "server CPU ms/call", "client CPU %",
              "other load (cores)", "RSS after, MiB", "check"]
    out = []
    for phase, desc in DESCRIPTIONS.items():
        for kind in ("mlflow", "regista", "regista-auth"):
            r = results.get(kind, {}).get("phases", {}).get(phase)
            if r is None:
                continue
            if "failed" in r:
                out.append([desc, kind, "", "", "", "", "", "", "", "failed: " + r["failed"][:120].replace("|", "\\|")])
                continue
            check = r.get("check", {})
            out.append([desc, kind, r.get("calls", ""), r.get("errors", ""), fmt(r.get("wall_s")),
                        fmt(r.get("server_cpu_ms_per_call")), fmt(r.get("client_cpu_pct"), 0),
                        fmt(r.get("other_load_cores")), fmt(r.get("rss_after_mib"), 0),
                        "ok" if check.get("ok") else "FAILED " + str({k: v for k, v in check.items() if k != "ok"})
                        [:160].replace("|", "\\|")])
    return _md(out, header)


def errors(results: dict) -> str:
    out = []
    for kind in ("mlflow", "regista", "regista-auth"):
        res = results.get(kind, {})
        if "failed" in res:
            out.append(f"- **{kind}** run failed: `{res['failed'][:500]}`")
        for phase, r in res.get("phases", {}).items():
            if "failed" in r:
                out.append(f"- **{kind} / {phase}** failed: `{r['failed'][:600]}`")
            for e in r.get("error_samples", [])[:1]:
                out.append(f"- **{kind} / {phase}** ({r.get('errors')} errors), e.g. `{e['request'][:200]}` "
                           f"body `{e.get('request_body', '')[:200]}` → {e['status']} `{e['response'][:300]}`")
    return "\n".join(out) if out else "None."


def notes() -> str:
    """The hand-written analysis kept in benchmarks/NOTES.md (not regenerated by a run)."""
    path = Path(__file__).with_name("NOTES.md")
    return path.read_text().strip() if path.exists() else "None yet."


def _workers(meta: dict) -> str:
    n = meta.get("regista_workers")
    return f"`--workers {n}`" if n else "default workers"


def backend_section(backend: str, results: dict, meta: dict) -> str:
    """Servers, the comparison, auth on/off, per-phase details and errors for one database."""
    srv = {k: results.get(k, {}) for k in ("mlflow", "regista", "regista-auth")}
    reused = [k for k, v in srv.items() if v.get("reused")]
    where = "its own SQLite file" if backend == "sqlite" else "a fresh PostgreSQL database, dropped afterwards"
    return f"""## Results on {BACKEND_NAMES.get(backend, backend)}

{"**Note:** numbers for " + ", ".join(reused) + " come from an earlier saved run (" +
 ", ".join(srv[k].get('date', '?') for k in reused) + "), not from this one." if reused else
 "All servers were measured in this one run on the same machine."}

**Servers** (each fresh, {where}, own temp dir, free port):
- MLflow: `{srv['mlflow'].get('command', '–')}` — default workers (4 uvicorn workers);
  {srv['mlflow'].get('processes_idle', '–')} process(es) in its tree when idle, {fmt(srv['mlflow'].get('rss_idle_mib'), 0)} MiB RSS idle.
- regista: `{srv['regista'].get('command', '–')}` — {_workers(meta)};
  {srv['regista'].get('processes_idle', '–')} process(es) in its tree when idle, {fmt(srv['regista'].get('rss_idle_mib'), 0)} MiB RSS idle.

Ratios are "how many times better regista is": throughput regista/MLflow, latency and memory MLflow/regista.
A verdict is PASS when the ratio reaches the issue's target and regista's phase was also correct (no errors,
its correctness check passed). Rates are calls/s (pages/s for searches) over {meta['concurrency']} connections.
The last column compares server CPU time per call (MLflow/regista, whole process tree): it is less sensitive
than throughput to other work on the machine, and shows how much each server spends on the same call.

{_md(rows(results), HEADER)}

### Authentication on ({BACKEND_NAMES.get(backend, backend)})

The same workload against `regista server --auth` (`{srv['regista-auth'].get('command', '–')}`), sent by a
non-admin service principal with its own token (created through SCIM and an on-behalf-of token), so every
request is authenticated and every object access is permission-checked (the principal holds CAN_MANAGE on
what it creates, as every creator does). The issue's budget: auth on keeps at least 80% of auth-off
throughput (or page latency).

{auth_section(results)}

### Per phase: cost and correctness ({BACKEND_NAMES.get(backend, backend)})

{details(results)}

### Errors and failed phases ({BACKEND_NAMES.get(backend, backend)})

{errors(results)}
"""


def markdown(by_backend: dict, meta: dict) -> str:
    m = meta["machine"]
    s = meta["sizes"]
    point = s["point_reads"]
    sections = "\n".join(backend_section(b, r, meta) for b, r in by_backend.items())
    names = " and ".join(BACKEND_NAMES.get(b, b) for b in by_backend)
    return f"""# Benchmarks: regista vs the official MLflow server

Generated by `{meta['command']}` on {meta['date']} (run took {meta['elapsed_s'] / 60:.1f} min,
{meta['mode']} sizes, on {names}). Regenerate with `python -m benchmarks.run` (full, both databases) or
`--quick` (~10× smaller); `--backend sqlite|postgresql` runs one database.

**Machine:** {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB RAM, Linux {m['kernel']}, Python {m['python']};
load average at start {", ".join(f"{x:.2f}" for x in m['loadavg_at_start'])}.
**Versions:** mlflow {m['mlflow']}, regista {m['regista']} (commit {m['commit']}).

**Sizes (same for both):** {s['models']:,} registered models × {s['versions']} versions, {s['runs']:,} runs
with {100} metrics + {20} params each, {point:,} mixed point reads, {meta['concurrency']} keep-alive connections.

{sections}
## Analysis and profile findings

{notes()}

## Method

- **Start-up:** time from spawning the command to the first HTTP 200 from `GET /health` (polled every 50 ms).
- **Load generator:** a separate process (`benchmarks/loadgen.py`) on asyncio + uvloop with a minimal
  HTTP/1.1 client on httptools (`benchmarks/httpclient.py`): {meta['concurrency']} persistent keep-alive
  connections, one request in flight on each, like {meta['concurrency']} mlflow clients. Request bodies are
  serialized before a phase's clock starts. Its own CPU time per phase is reported ("client CPU %", of one
  core) to show it is not the bottleneck. It costs about 60 µs of CPU per request, against about 130 µs
  for aiohttp with the same pool (measured against `/health`); on 2 cores whatever the client burns is taken
  from the server under test. Before the timed phases, an untimed warm-up sends a few tracking and registry
  reads over 16 connections (MLflow's workers build their stores lazily on first use).
- **Phases** run in this order against each server: setup (one experiment, one source run, a tiny `MLmodel`
  uploaded with `PUT /api/2.0/mlflow-artifacts/artifacts/<run artifact path>/model/MLmodel`), {point:,}
  `GET /health` (a baseline: the cheapest request, i.e. the HTTP stack's own cost), create
  {s['runs']:,} runs, log-batch (one call per run: 100 metrics + 20 params), create {s['models']:,} registered
  models, create {s['versions']} versions each (version-major order, so concurrent creates hit different
  models; source `runs:/<source run>/model` with its `run_id`, which MLflow's source validation
  requires for a run-artifact source), set alias `champion` on every model, {point:,} mixed point reads
  (registered-models/get, model-versions/get, registered-models/alias GET, runs/get, experiments/get in
  rotation on random targets), registry search paging, runs/search paging, 32 concurrent version creates.
- **Search phases:** {meta['concurrency']} clients each page through the whole listing (100 a page, following
  `next_page_token`); the rate is pages/s across all clients, the latency is per page. Every walk is
  checked: all models / versions seen exactly once; for runs/search exactly the runs with `m0 > 0.5`, in
  descending `m0` order.
- **32 concurrent creates:** 32 connections are opened first, then all send `model-versions/create` for one
  new model at once; correct means the responses and the stored versions are exactly 1..32.
- **Memory:** the sum of `VmRSS` over the server's whole process tree (from `/proc/<pid>/task/*/children`),
  sampled every 100 ms from spawn to the end of the last phase; the peak is reported.
- **Server CPU per call:** utime+stime of the whole server tree across the phase, divided by its calls; on
  PostgreSQL it includes the database backends serving that server's database (found in `pg_stat_activity`),
  so both servers pay for their SQL in this column. Peak RSS counts the server's own tree only.
- **Databases:** on SQLite each server gets its own file in its temp dir; on PostgreSQL (the server at
  `REGISTA_BENCH_PG_DSN`, default `postgresql://postgres@127.0.0.1:5432/postgres`) each gets a fresh
  database created before it starts and dropped after it stops; MLflow reaches it through psycopg 3
  (`postgresql+psycopg://`), regista through its own default driver (psycopg 3 as well).
- **Other load:** busy CPU of the whole machine (`/proc/stat`) during the phase minus the server's and the
  load generator's, in cores: work by other processes that competed with the measurement.
- **Profiling:** `python -m benchmarks.run --only regista --py-spy DIR` records a py-spy profile (GIL-holding
  thread only, i.e. Python CPU) of the server for every phase; `python -m benchmarks.profile_summary
  DIR/regista-<phase>.txt` prints the top functions by self and inclusive samples. Profiled runs are not saved.
- **Caveats:** the machine has 2 cores and may be shared with other work (see the load average above);
  client and server compete for the same cores, as they would for an mlflow client on the same host. One
  run per server; expect some noise between runs, far smaller than the ratios measured.
"""


# The line after which docs/benchmarks.md holds sections written by other benchmark scripts.
KEPT_MARKER = "<!-- Sections below this line come from other benchmark scripts"


def write(path: Path, text: str) -> None:
    """Write the report to `path`, keeping whatever follows KEPT_MARKER in the file already there."""
    kept = ""
    if path.exists():
        old = path.read_text()
        at = old.find(KEPT_MARKER)
        if at >= 0:
            kept = "\n" + old[at:]
    path.write_text(text.rstrip("\n") + "\n" + kept)
