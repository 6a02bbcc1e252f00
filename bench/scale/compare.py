"""Small scale against large scale, from `bench.scale.report`'s JSON files."""

import json
import statistics


def _best(paths: str) -> dict:
    """Runs given as comma-separated JSON files: per row, the lowest median and
    the lowest p95 over the runs (the shared machine's load only adds time);
    the export's median over the runs' medians, and its fastest request; the
    first purge figure found."""
    runs = []
    for path in paths.split(","):
        with open(path) as handle:
            runs.append(json.load(handle))
    rows: dict[str, dict] = {}
    for run_ in runs:
        for name, row in run_["rows"].items():
            best = rows.setdefault(name, dict(row))
            best["median_ms"] = min(best["median_ms"], row["median_ms"])
            best["p95_ms"] = min(best["p95_ms"], row["p95_ms"])
    exports = [r["export"] for r in runs]
    export = dict(exports[0])
    export["rows_per_s"] = int(statistics.median(e["rows_per_s"] for e in exports))
    export["best_rows_per_s"] = max(
        e.get("best_rows_per_s", e["rows_per_s"]) for e in exports
    )
    export["seconds"] = round(export["rows"] / export["rows_per_s"], 3)
    purge = next((r["purge"] for r in runs if r.get("purge")), {})
    return {"rows": rows, "export": export, "purge": purge, "runs": len(runs)}


def compare(small_paths: str, large_paths: str) -> str:
    """A markdown table: median / p95 at both scales, and the ratio of medians."""
    small, big = _best(small_paths), _best(large_paths)
    lines = [
        "| page / endpoint | small: median / p95 (ms) | large: median / p95 (ms)"
        " | large / small (median) | queries |",
        "|---|---|---|---|---|",
    ]
    for name, row in small["rows"].items():
        other = big["rows"].get(name)
        if other is None:
            continue
        ratio = other["median_ms"] / row["median_ms"] if row["median_ms"] else 0
        lines.append(
            f"| {name} | {row['median_ms']} / {row['p95_ms']}"
            f" | {other['median_ms']} / {other['p95_ms']} | {ratio:.2f}"
            f" | {other['queries']} |"
        )
    for label, data in (("small", small), ("large", big)):
        export, purge = data["export"], data["purge"]
        lines.append(
            f"\n{label} ({data['runs']} runs): export of one month {export['rows']}"
            f" rows, median {export['seconds']} s ({export['rows_per_s']} rows/s,"
            f" fastest {export['best_rows_per_s']} rows/s);"
            f" purge_expired {purge.get('purged')} usagers,"
            f" {purge.get('ms_per_usager')} ms per usager"
        )
    return "\n".join(lines)
