#!/usr/bin/python3
# chart.py OUT.png CSV [CSV...] - latency, failures and CPU per call against offered load, one
# line per (scenario, proxy), from harness.sh CSV files. Needs Debian's python3-matplotlib.
import csv
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

out, files = sys.argv[1], sys.argv[2:]
rows = []
for f in files:
    with open(f, newline="") as fh:
        rows += list(csv.DictReader(fh))
if not rows:
    sys.exit("chart.py: no rows")


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


series = {}
for r in rows:
    series.setdefault((r["scenario"], r["proxy"]), []).append(r)
colours = {"ours": "tab:blue", "ours-warm": "tab:green", "kamailio": "tab:orange"}
styles = ["-", "--", ":", "-."]
scenarios = sorted({k[0] for k in series})

fig, (ax_lat, ax_fail, ax_cpu) = plt.subplots(3, 1, figsize=(9, 11), sharex=True)
for (scen, proxy), rs in sorted(series.items()):
    rs = sorted(rs, key=lambda r: num(r["rate"]))
    x = [num(r["rate"]) for r in rs]
    ls = styles[scenarios.index(scen) % len(styles)]
    c = colours.get(proxy, None)
    name = f"{proxy} {scen}" if len(scenarios) > 1 else proxy
    p99 = [max(num(r["p99_ms"]) or 0, 0.5) if num(r["p99_ms"]) is not None else None for r in rs]
    p50 = [max(num(r["p50_ms"]) or 0, 0.5) if num(r["p50_ms"]) is not None else None for r in rs]
    ax_lat.plot(x, p99, ls, color=c, marker="o", label=f"{name} p99")
    ax_lat.plot(x, p50, ls, color=c, marker=".", alpha=0.5, label=f"{name} p50")
    ax_fail.plot(x, [num(r["fail_pct"]) for r in rs], ls, color=c, marker="o", label=name)
    ax_cpu.plot(x, [num(r["us_per_call"]) for r in rs], ls, color=c, marker="o", label=name)
    for r, xv in zip(rs, x):
        if r["verdict"] != "PASS":
            ax_fail.annotate("FAIL", (xv, num(r["fail_pct"]) or 0), textcoords="offset points",
                             xytext=(0, 6), ha="center", fontsize=7, color=c)

ax_lat.set_yscale("log")
ax_lat.set_ylabel("INVITE→final (ms, log)\n(0 ms drawn at 0.5)")
ax_lat.axhline(5, color="grey", lw=0.8, ls=":")
ax_lat.text(ax_lat.get_xlim()[0], 5, " 5 ms", va="bottom", fontsize=7, color="grey")
ax_lat.legend(fontsize=8, ncol=2)
ax_lat.grid(True, which="both", alpha=0.3)
ax_fail.set_ylabel("failed calls (%)")
ax_fail.axhline(0.5, color="red", lw=0.8, ls=":")
ax_fail.text(ax_fail.get_xlim()[0], 0.5, " 0.5 %", va="bottom", fontsize=7, color="red")
ax_fail.legend(fontsize=8)
ax_fail.grid(True, alpha=0.3)
ax_cpu.set_ylabel("proxy CPU per call (µs)")
ax_cpu.set_xlabel("offered load (calls per second)")
ax_cpu.legend(fontsize=8)
ax_cpu.grid(True, alpha=0.3)
ax_cpu.set_ylim(bottom=0)
dates = sorted(r["date"] for r in rows)
warm = any(r["proxy"] == "ours-warm" for r in rows)
kind = "ours-warm: one process after a warm-up; others: whole runs" if warm else "whole runs"
fig.suptitle(f"{', '.join(scenarios)}: ours vs Kamailio ({dates[0]} – {dates[-1]})\n{kind}")
fig.tight_layout()
fig.savefig(out, dpi=110)
