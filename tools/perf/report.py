#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""tools/perf/report.py - the report of tools/perf/run.sh (make bench).

Reads OUT/bench.log (the bench's console: PERF/INFO/FAIL/MVM-* lines from
kvmperf and the guest script), OUT/meta and OUT/mvm-host.{tsv,txt}; prints
the table on stdout and writes DOC (docs/benchmarks.md) with the plots in
IMG (docs/img/bench-*.png, drawn by gnuplot). Exit status 1 when a figure is
missing or a measurement failed.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

LABELS = ("rkvm", "kvm")
NAMES = {"rkvm": "rkvm", "kvm": "kvm_intel"}

# key, title, unit, better ('lo'/'hi'), how to turn the raw value into the unit
# (raw values: guest/host TSC cycles, kB, VMs/s)
MIB = 1 << 20


def rate_from_cpp(v, hz):
    """cycles per 4 KiB page -> MiB/s of guest memory faulted in"""
    return hz / v * 4096 / MIB


FIGS = [
    ("Exit round trips (guest TSC cycles per iteration, median of %(exits_n)s)", [
        ("exit_out", "`out` → KVM_EXIT_IO to userspace → KVM_RUN", "cycles", "lo", None),
        ("exit_cpuid", "`cpuid` (handled in the kernel)", "cycles", "lo", None),
        ("exit_vmcall", "`vmcall` (in the kernel, returns -KVM_ENOSYS)", "cycles", "lo", None),
        ("exit_mmio", "MMIO write → KVM_EXIT_MMIO to userspace → KVM_RUN", "cycles", "lo", None),
        ("host_run_immediate_exit", "host: KVM_RUN ioctl with `immediate_exit` (no entry)", "host cycles", "lo", None),
        ("host_get_regs", "host: KVM_GET_REGS ioctl (a vCPU ioctl)", "host cycles", "lo", None),
        ("host_check_extension", "host: KVM_CHECK_EXTENSION ioctl on the system fd", "host cycles", "lo", None),
        ("host_syscall", "host: null system call (getppid), for scale", "host cycles", "lo", None),
    ]),
    ("VM lifecycle and idle memory", [
        ("lifecycle_per_s", "create VM + 1 slot + 1 vCPU + run to HLT + destroy", "VMs/s", "hi", None),
        ("lifecycle_cycles", "… the same, host TSC cycles per VM (median)", "host cycles", "lo", None),
        ("lifecycle_keep_per_s", "the same with another VM kept open (VMX stays on)", "VMs/s", "hi", None),
        ("lifecycle_keep_cycles", "… host TSC cycles per VM (median)", "host cycles", "lo", None),
        ("idlemem_ran_kb", "kernel memory per idle VM, 1 vCPU, ran to HLT once (MemFree drop)", "KiB/VM", "lo", None),
        ("idleslab_ran_kb", "… of which slab (Slab growth)", "KiB/VM", "lo", None),
        ("idlemem_new_kb", "kernel memory per VM + vCPU never run (MemFree drop)", "KiB/VM", "lo", None),
        ("idleslab_new_kb", "… of which slab (Slab growth)", "KiB/VM", "lo", None),
    ]),
    ("Guest memory (%(mb)s MiB touched once per 4 KiB page; rates in guest-TSC time)", [
        ("fault_4k", "EPT fault-in, 4 KiB pages, first touch (host page fault too)", "MiB/s", "hi", rate_from_cpp),
        ("fault_4k-pre", "EPT fault-in, 4 KiB pages, host memory populated (EPT fault alone)", "MiB/s", "hi", rate_from_cpp),
        ("fault_thp", "EPT fault-in, THP-backed (madvise), first touch", "MiB/s", "hi", rate_from_cpp),
        ("fault_thp-pre", "EPT fault-in, THP-backed, host memory populated", "MiB/s", "hi", rate_from_cpp),
        ("dirty_getlog_cycles", "KVM_GET_DIRTY_LOG, every page dirty", "ms", "lo", lambda v, hz: v / hz * 1e3),
        ("dirty_redirty", "re-dirty pass (write fault on a write-protected page)", "cycles/page", "lo", None),
        ("dirty_roundtrip_cycles", "dirty-log round trip: re-dirty pass + KVM_GET_DIRTY_LOG", "ms", "lo", lambda v, hz: v / hz * 1e3),
    ]),
]
CPP_KEYS = ["fault_4k", "fault_4k-pre", "fault_thp", "fault_thp-pre"]


def fmt(v):
    if v is None:
        return "–"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def stats(vals):
    if not vals:
        return None
    return (min(vals), statistics.median(vals), max(vals))


def parse(out):
    meta = {}
    try:
        for line in open(os.path.join(out, "meta")):
            k, _, v = line.rstrip("\n").partition("=")
            meta[k] = v
    except OSError:
        pass
    perf = {l: {} for l in LABELS}
    info, fails, mvm_tsv, mvm_out, infos_all = {}, [], {l: [] for l in LABELS}, {l: [] for l in LABELS}, []
    tsc_hz = None
    done = None
    steps = 0
    kparams = {}
    try:
        text = open(os.path.join(out, "bench.log"), errors="replace").read().replace("\r", "")
    except OSError:
        text = ""
    for line in text.split("\n"):
        m = re.match(r"^PERF (\S+) (\S+) (\S+)$", line)
        if m:
            lab, key, val = m.groups()
            if lab == "info" and key == "tsc_hz":
                tsc_hz = float(val)
            elif lab in perf:
                perf[lab].setdefault(key, []).append(float(val))
            continue
        m = re.match(r"^INFO kvm param (\S+) ?(.*)$", line)
        if m:
            kparams[m.group(1)] = m.group(2)
            continue
        m = re.match(r"^INFO (\S+) (\S+?)[: ](.*)$", line)
        if m:
            info[(m.group(1), m.group(2))] = m.group(3).strip()
            infos_all.append(line[5:])
            continue
        if line.startswith("FAIL ") or line.startswith("kvmperf:"):
            fails.append(line)
            continue
        m = re.match(r"^MVM-TSV (\S+) (.*)$", line)
        if m and m.group(1) in mvm_tsv:
            mvm_tsv[m.group(1)].append(m.group(2).split("\t"))
            continue
        m = re.match(r"^MVM-OUT (\S+) (.*)$", line)
        if m and m.group(1) in mvm_out:
            mvm_out[m.group(1)].append(m.group(2))
            continue
        if line.startswith("PERF-STEP"):
            steps += 1
        m = re.match(r"^PERF-DONE failed=(\d+)", line)
        if m:
            done = int(m.group(1))
    host_tsv, host_txt = [], ""
    try:
        host_tsv = [l.rstrip("\n").split("\t") for l in open(os.path.join(out, "mvm-host.tsv"))]
    except OSError:
        pass
    try:
        host_txt = open(os.path.join(out, "mvm-host.txt"), errors="replace").read()
    except OSError:
        pass
    return dict(meta=meta, perf=perf, info=info, infos_all=infos_all, fails=fails,
                mvm_tsv=mvm_tsv, mvm_out=mvm_out, tsc_hz=tsc_hz, done=done, steps=steps,
                kparams=kparams, host_tsv=host_tsv, host_txt=host_txt)


def fig_values(d, label, key, conv):
    raw = d["perf"][label].get(key, [])
    hz = d["tsc_hz"] or 50e6
    return [conv(v, hz) if conv else v for v in raw]


def build_rows(d):
    rows = []
    for sect, figs in FIGS:
        sect = sect % d["meta"] if "%(" in sect else sect
        rows.append(("section", sect))
        for key, title, unit, better, conv in figs:
            s = {l: stats(fig_values(d, l, key, conv)) for l in LABELS}
            ratio = None
            if s["rkvm"] and s["kvm"] and s["kvm"][1]:
                ratio = s["rkvm"][1] / s["kvm"][1]
            rows.append(("fig", key, title, unit, better, s, ratio,
                         {l: len(d["perf"][l].get(key, [])) for l in LABELS}))
    return rows


def row_map(rows):
    return {r[1]: r for r in rows if r[0] == "fig"}


def med(rows, key, label):
    r = row_map(rows).get(key)
    return r[5][label][1] if r and r[5][label] else None


def targets(d, rows):
    rm = row_map(rows)
    out = []

    def ratio_target(name, key, op, bound, note=""):
        r = rm[key]
        ratio = r[6]
        if ratio is None:
            out.append((name, "not measured", "–", note))
            return
        ok = ratio <= bound if op == "<=" else ratio >= bound
        a, b = r[5]["rkvm"][1], r[5]["kvm"][1]
        out.append((name, "**met**" if ok else "**not met**",
                    f"rkvm {fmt(a)} / kvm_intel {fmt(b)} {r[3]} = **{ratio:.3f}** (target {op} {bound})", note))

    ratio_target("I/O exit round trip ≤ 0.7", "exit_out", "<=", 0.7)
    ratio_target("CPUID exit ≤ 0.7", "exit_cpuid", "<=", 0.7)
    ratio_target("kernel memory of an idle VM with one vCPU ≤ 0.5", "idlemem_ran_kb", "<=", 0.5,
                 "after one run to HLT; never-run VMs: see the table")
    ratio_target("create/run-to-HLT/destroy ≥ 2x the rate", "lifecycle_per_s", ">=", 2.0)
    ratio_target("EPT fault-in with 4 KiB pages ≥ 1.0", "fault_4k", ">=", 1.0,
                 "first touch; with host memory populated (EPT fault alone): see fault_4k-pre")
    ratio_target("EPT fault-in with 4 KiB pages, EPT alone ≥ 1.0", "fault_4k-pre", ">=", 1.0,
                 "host memory populated before the guest runs")
    for pre, what in (("", "first touch"), ("-pre", "host memory populated")):
        a, b = med(rows, "fault_thp" + pre, "rkvm"), med(rows, "fault_4k" + pre, "rkvm")
        ka, kb = med(rows, "fault_thp" + pre, "kvm"), med(rows, "fault_4k" + pre, "kvm")
        name = f"2 MiB mappings ≥ 5x our own 4 KiB rate ({what})"
        if a is None or b is None:
            out.append((name, "not measured", "–", ""))
            continue
        x = a / b
        kx = f"; kvm_intel's own: {ka / kb:.1f}x" if ka and kb else ""
        hz = d["tsc_hz"] or 50e6
        cpp = hz * 4096 / MIB / a	# rkvm THP cycles per 4 KiB
        if pre:
            note = (f"EPT alone: {cpp:.1f} guest cycles per 4 KiB page with THP, so rkvm maps "
                    f"2 MiB EPT entries" if cpp < 100 else
                    f"{cpp:.0f} guest cycles per 4 KiB page with THP: rkvm still maps 4 KiB EPT entries")
        else:
            note = (f"bound by the host's huge-page fault (allocating and zeroing 2 MiB): "
                    f"{cpp:.0f} guest cycles per 4 KiB page for rkvm"
                    + (f", {hz * 4096 / MIB / ka:.0f} for kvm_intel" if ka else "")
                    + "; the EPT part is what the populated run shows")
        out.append((name, "**met**" if x >= 5 else "**not met**",
                    f"rkvm THP {fmt(a)} / rkvm 4 KiB {fmt(b)} MiB/s = **{x:.2f}x** (target ≥ 5x){kx}",
                    note))
    return out


def text_table(rows):
    lines = []
    hdr = f"{'figure':<34} {'unit':<12} {'rkvm min/med/max':>30} {'kvm_intel min/med/max':>30} {'ratio':>7}"
    lines.append(hdr)
    lines.append("-" * len(hdr))
    for r in rows:
        if r[0] == "section":
            lines.append(f"# {r[1]}")
            continue
        _, key, title, unit, better, s, ratio, n = r
        cells = []
        for l in LABELS:
            cells.append("/".join(fmt(v) for v in s[l]) if s[l] else "–")
        lines.append(f"{key:<34} {unit:<12} {cells[0]:>30} {cells[1]:>30} "
                     f"{(f'{ratio:.3f}' if ratio is not None else '–'):>7}")
    return "\n".join(lines)


def md_table(rows):
    out = []
    for r in rows:
        if r[0] == "section":
            out.append(f"\n**{r[1]}**\n")
            out.append("| figure | unit | rkvm min / median / max | kvm_intel min / median / max | rkvm / kvm_intel |")
            out.append("| --- | --- | ---: | ---: | ---: |")
            continue
        _, key, title, unit, better, s, ratio, n = r
        cells = []
        for l in LABELS:
            cells.append(" / ".join(fmt(v) for v in s[l]) if s[l] else "failed")
        arrow = "lower is better" if better == "lo" else "higher is better"
        out.append(f"| {title} <br>`{key}` | {unit} ({arrow}) | {cells[0]} | {cells[1]} | "
                   f"{(f'**{ratio:.3f}**' if ratio is not None else '–')} |")
    return "\n".join(out)


def gnuplot(script, png):
    try:
        p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"report: gnuplot failed: {e}", file=sys.stderr)
        return False
    if p.returncode != 0 or not os.path.exists(png):
        print(f"report: gnuplot failed for {png}: {p.stderr.strip()}", file=sys.stderr)
        return False
    return True


def bars(png, title, ylabel, items, logscale=False, size="900,420"):
    """items: (name, rkvm stats, kvm stats); clustered bars with min..max bars"""
    data = "\n".join(
        f'"{name}" {s1[1]} {s1[0]} {s1[2]} {s2[1]} {s2[0]} {s2[2]}'
        for name, s1, s2 in items if s1 and s2)
    if not data:
        return False
    script = f"""
set terminal pngcairo size {size} noenhanced font ',10'
set output '{png}'
set title '{title}'
set ylabel '{ylabel}'
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key top left
set yrange [{'1' if logscale else '0'}:*]
{'set logscale y' if logscale else ''}
set xtics nomirror
set xrange [-0.6:{len(items) - 0.4}]
$d << EOD
{data}
EOD
plot $d using 2:3:4:xtic(1) title 'rkvm' lc rgb '#1f77b4', \\
     '' using 5:6:7 title 'kvm_intel' lc rgb '#ff7f0e'
"""
    return gnuplot(script, png)


def tsv_rows(rows):
    if not rows:
        return []
    hdr = rows[0]
    return [dict(zip(hdr, r)) for r in rows[1:] if len(r) == len(hdr)]


def mvm_plot(png, d):
    sets = []
    for l in LABELS:
        for r in tsv_rows(d["mvm_tsv"][l]):
            sets.append((l, r))
    if not sets:
        return False
    blocks, plots_lat, plots_mem = [], [], []
    modes = ["cold", "pool", "snapshot"]
    colors = {"rkvm": "#1f77b4", "kvm": "#ff7f0e"}
    dts = {"cold": 1, "pool": 2, "snapshot": 3}
    for l in LABELS:
        for m in modes:
            pts = sorted((int(r["n"]), float(r["start_p50_us"]), float(r["kernel_kib_per_vm"]))
                         for ll, r in sets if ll == l and r.get("mode") == m)
            if not pts:
                continue
            name = f"{l}_{m}"
            blocks.append(f"${name} << EOD\n" + "\n".join(f"{n} {a} {b}" for n, a, b in pts) + "\nEOD")
            plots_lat.append(f"${name} using 1:2 with linespoints lc rgb '{colors[l]}' dt {dts[m]} pt {dts[m] + 4} title '{NAMES[l]} {m}'")
            plots_mem.append(f"${name} using 1:3 with linespoints lc rgb '{colors[l]}' dt {dts[m]} pt {dts[m] + 4} title '{NAMES[l]} {m}'")
    script = f"""
set terminal pngcairo size 1100,480 noenhanced font ',10'
set output '{png}'
{chr(10).join(blocks)}
set multiplot layout 1,2 title 'mini-VMM density bench in the bench (hello.elf, K=2)'
set xlabel 'microVMs alive at once (N)'
set grid
set key below maxrows 2
set ylabel 'first-invocation latency p50 (us)'
set logscale y
plot {', '.join(plots_lat)}
unset logscale y
set yrange [0:*]
set ylabel 'kernel memory per VM (KiB)'
plot {', '.join(plots_mem)}
unset multiplot
"""
    return gnuplot(script, png)


def mvm_md(d):
    cols = ["mode", "n", "k", "vms_per_s", "start_p50_us", "start_p99_us", "inv_p50_us",
            "inv_p99_us", "pss_kib_per_vm", "kernel_kib_per_vm", "failed"]
    out = []
    for l, rows in [(NAMES[l], tsv_rows(d["mvm_tsv"][l])) for l in LABELS] + \
            [("this machine's /dev/kvm (nested, see below)", tsv_rows(d["host_tsv"]))]:
        if not rows:
            out.append(f"\n{l}: no data (see the log).\n")
            continue
        out.append(f"\n**{l}**\n")
        out.append("| " + " | ".join(cols) + " |")
        out.append("| " + " | ".join(["---"] * 3 + ["---:"] * (len(cols) - 3)) + " |")
        for r in rows:
            out.append("| " + " | ".join(r.get(c, "?") for c in cols) + " |")
    # rkvm / kvm_intel ratios at each N and mode
    a = {(r["mode"], r["n"]): r for r in tsv_rows(d["mvm_tsv"]["rkvm"])}
    b = {(r["mode"], r["n"]): r for r in tsv_rows(d["mvm_tsv"]["kvm"])}
    common = [k for k in a if k in b]
    if common:
        out.append("\n**rkvm / kvm_intel** (VMs/s: higher is better for rkvm; latency and memory: lower)\n")
        out.append("| mode | N | VMs/s | start p50 | inv p50 | kernel KiB/VM |")
        out.append("| --- | ---: | ---: | ---: | ---: | ---: |")
        for k in common:
            def q(c):
                try:
                    return f"{float(a[k][c]) / float(b[k][c]):.2f}"
                except (ValueError, ZeroDivisionError):
                    return "–"
            out.append(f"| {k[0]} | {k[1]} | {q('vms_per_s')} | {q('start_p50_us')} | "
                       f"{q('inv_p50_us')} | {q('kernel_kib_per_vm')} |")
    return "\n".join(out)


def breakdown_md(rows, d):
    """where the cycles go, from differences between figures (medians)"""
    def m(k, l):
        v = d["perf"][l].get(k)
        return statistics.median(v) if v else None

    def diff(l, a, *b):
        v = m(a, l)
        if v is None:
            return None
        for k in b:
            w = m(k, l)
            if w is None:
                return None
            v -= w
        return v

    mb = float(d["meta"].get("mb", "64") or 64)
    pages = mb * 256
    items = [
        ("in-kernel exit → handler → entry (`vmcall`)", lambda l: m("exit_vmcall", l)),
        ("KVM_RUN system call without entering (`immediate_exit`)", lambda l: m("host_run_immediate_exit", l)),
        ("· of which the null system call", lambda l: m("host_syscall", l)),
        ("· of which ioctl dispatch on an fd (CHECK_EXTENSION − syscall)", lambda l: diff(l, "host_check_extension", "host_syscall")),
        ("· of which the vCPU-ioctl frame (GET_REGS − CHECK_EXTENSION: mutex, load/put, argument copy)", lambda l: diff(l, "host_get_regs", "host_check_extension")),
        ("rest of the `out` round trip (out − vmcall − immediate_exit: I/O exit to user, FPU and host-state switch, kvm_run)", lambda l: diff(l, "exit_out", "exit_vmcall", "host_run_immediate_exit")),
        ("MMIO on top of `out` (mmio − out: EPT violation/misconfig, instruction fetch and decode)", lambda l: diff(l, "exit_mmio", "exit_out")),
        ("VM lifecycle: turning VMX on and off (alone − with another VM open)", lambda l: diff(l, "lifecycle_cycles", "lifecycle_keep_cycles")),
        ("VM lifecycle with VMX kept on", lambda l: m("lifecycle_keep_cycles", l)),
        ("· KVM_CREATE_VM", lambda l: m("lc_create_vm", l)),
        ("· KVM_SET_USER_MEMORY_REGION (one 64 KiB slot)", lambda l: m("lc_set_memory_region", l)),
        ("· KVM_CREATE_VCPU", lambda l: m("lc_create_vcpu", l)),
        ("· mmap of kvm_run, KVM_GET/SET_SREGS, KVM_SET_REGS", lambda l: m("lc_mmap_sregs_regs", l)),
        ("· KVM_RUN to the HLT (first entry, one EPT fault)", lambda l: m("lc_run_to_hlt", l)),
        ("· munmap, close the vCPU and VM fds (destruction)", lambda l: m("lc_destroy", l)),
        ("EPT fault per 4 KiB page (`fault_4k-pre`)", lambda l: m("fault_4k-pre", l)),
        ("host page fault per 4 KiB page under the EPT fault (4k − 4k-pre)", lambda l: diff(l, "fault_4k", "fault_4k-pre")),
        ("write fault on a write-protected page (re-dirty pass)", lambda l: m("dirty_redirty", l)),
        ("KVM_GET_DIRTY_LOG per dirty page", lambda l: (m("dirty_getlog_cycles", l) / pages) if m("dirty_getlog_cycles", l) else None),
    ]
    out = ["| part (cycles, medians) | rkvm | kvm_intel |", "| --- | ---: | ---: |"]
    for name, f in items:
        out.append(f"| {name} | {fmt(f('rkvm'))} | {fmt(f('kvm'))} |")
    return "\n".join(out)


def raw_md(d):
    out = ["| label | figure | values (in run order) |", "| --- | --- | --- |"]
    for l in LABELS:
        for k, v in sorted(d["perf"][l].items()):
            out.append(f"| {NAMES[l]} | `{k}` | {' '.join(fmt(x) for x in v)} |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--doc", required=True)
    ap.add_argument("--img", required=True)
    a = ap.parse_args()
    d = parse(a.out)
    meta = d["meta"]
    rows = build_rows(d)
    tg = targets(d, rows)

    print(text_table(rows))
    print()
    for name, verdict, detail, note in tg:
        print(f"target: {name}: {verdict.strip('*')}: {detail.replace('**', '')}")
    for f in d["fails"]:
        print(f"failure: {f}")

    os.makedirs(a.img, exist_ok=True)
    rm = row_map(rows)
    imgs = {}

    def st(key, l):
        r = rm.get(key)
        return r[5][l] if r else None
    p = os.path.join(a.img, "bench-exits.png")
    if bars(p, "Exit round trips in the bench (guest TSC cycles per iteration; min..max bars)",
            "guest TSC cycles (~ instructions)",
            [(n, st(k, "rkvm"), st(k, "kvm")) for n, k in
             (("out (to user)", "exit_out"), ("cpuid", "exit_cpuid"), ("vmcall", "exit_vmcall"),
              ("MMIO write (to user)", "exit_mmio"), ("KVM_RUN immediate_exit", "host_run_immediate_exit"))]):
        imgs["exits"] = p
    p = os.path.join(a.img, "bench-lifecycle.png")
    if bars(p, "VM lifecycle and idle memory (rkvm vs kvm_intel, log scale)", "value (log scale)",
            [("lifecycles/s", st("lifecycle_per_s", "rkvm"), st("lifecycle_per_s", "kvm")),
             ("KiB per idle VM (ran)", st("idlemem_ran_kb", "rkvm"), st("idlemem_ran_kb", "kvm")),
             ("KiB per VM (never ran)", st("idlemem_new_kb", "rkvm"), st("idlemem_new_kb", "kvm")),
             ("slab KiB per idle VM", st("idleslab_ran_kb", "rkvm"), st("idleslab_ran_kb", "kvm"))],
            logscale=True):
        imgs["lifecycle"] = p
    p = os.path.join(a.img, "bench-memory.png")
    if bars(p, f"EPT fault-in over {meta.get('mb', '?')} MiB (MiB/s of guest memory, guest-TSC time; log scale)",
            "MiB/s (log scale)",
            [(n, st(k, "rkvm"), st(k, "kvm")) for n, k in
             (("4 KiB first touch", "fault_4k"), ("4 KiB, host populated", "fault_4k-pre"),
              ("THP first touch", "fault_thp"), ("THP, host populated", "fault_thp-pre"))],
            logscale=True):
        imgs["memory"] = p
    p = os.path.join(a.img, "bench-dirty.png")
    if bars(p, f"Dirty-log round trip over {meta.get('mb', '?')} MiB (ms of guest-TSC time; log scale)",
            "ms (log scale)",
            [(n, st(k, "rkvm"), st(k, "kvm")) for n, k in
             (("KVM_GET_DIRTY_LOG", "dirty_getlog_cycles"), ("round trip", "dirty_roundtrip_cycles"))],
            logscale=True, size="700,420"):
        imgs["dirty"] = p
    p = os.path.join(a.img, "bench-mini-vmm.png")
    if mvm_plot(p, d):
        imgs["mvm"] = p
    relimg = {k: os.path.relpath(v, os.path.dirname(os.path.abspath(a.doc))) for k, v in imgs.items()}

    hz = d["tsc_hz"]
    i = d["info"]
    cpp = {}
    for l in LABELS:
        for k in CPP_KEYS:
            s = stats(d["perf"][l].get(k, []))
            cpp[(l, k)] = s[1] if s else None
    md = []
    w = md.append
    w("# Benchmarks: rkvm against kvm_intel in the bench\n")
    w(f"Measured {meta.get('date', '?')} with `make bench` (`tools/perf/run.sh`), "
      f"tree at {meta.get('commit', '?')}"
      + (f"{' (with uncommitted changes under rkvm/)' if meta.get('rkvm_dirty', '0') not in ('0', '') else ''}, "
         f"`rkvm.ko` built {meta.get('rkvm_ko_date', '?')}"
         if meta.get("rkvm_ko", "tree") == "tree" else
         f", `rkvm.ko` built {meta.get('rkvm_ko_date', '?')} from "
         f"{meta.get('rkvm_ko_from') or meta.get('rkvm_ko')}")
      + f" (sha256 {meta.get('rkvm_ko_sha', '?')}…). Regenerate this page with `make bench` "
      f"(about {int(int(meta.get('bench_wall_s', '0') or 0) / 60 + 0.5)} minutes here); the numbers are "
      f"deterministic to ~0.1% across boots, so a change in them is a change in the code paths.\n")
    status = meta.get("bench_status", "?")
    if d["fails"] or status != "0" or d["done"] is None:
        w(f"**This run was not clean** (bench status {status}"
          f"{', guest script did not finish' if d['done'] is None else ''}):\n")
        for f in d["fails"][:20]:
            w(f"- `{f}`")
        w("")
    w("## Targets of issue 8 (rkvm / kvm_intel, same boot)\n")
    w("| target | verdict | numbers (medians) | note |")
    w("| --- | --- | --- | --- |")
    for name, verdict, detail, note in tg:
        w(f"| {name} | {verdict} | {detail} | {note} |")
    w("")
    w("## Results\n")
    w(f"{meta.get('reps', '?')} repetitions of every figure on each module in one boot; min / median / "
      "max over the repetitions. The ratio divides the medians (rkvm / kvm_intel): below 1 is better "
      "for rkvm on cycles, milliseconds and memory, above 1 is better for rkvm on rates.")
    w(md_table(rows))
    w("")
    for k, cap in (("exits", "Exit round trips"), ("lifecycle", "Lifecycle and idle memory"),
                   ("memory", "EPT fault-in"), ("dirty", "Dirty logging")):
        if k in relimg:
            w(f"![{cap}]({relimg[k]})\n")
    if any(cpp.values()):
        w("EPT fault-in in guest TSC cycles per 4 KiB page (medians; the MiB/s above are "
          f"`tsc_hz × 4096 / cycles`, tsc_hz = {fmt(hz) if hz else '?'} Hz in the bench):\n")
        w("| run | rkvm | kvm_intel |")
        w("| --- | ---: | ---: |")
        for k in CPP_KEYS:
            w(f"| `{k}` | {fmt(cpp[('rkvm', k)])} | {fmt(cpp[('kvm', k)])} |")
        w("")
    w("### Where the cycles go\n")
    w("Differences between the figures above (guest or host TSC cycles, which under Bochs are "
      "instruction counts). The host-side ioctls run in the VMM process, the exit loops in the guest; "
      "both clocks tick at the same rate.\n")
    w(breakdown_md(rows, d))
    w("")
    notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notes.md")
    if os.path.exists(notes):
        w(open(notes).read().strip() + "\n")
    w("### Where the memory of an idle VM goes (last repetition)\n")
    for l in LABELS:
        for tag in ("ran", "new"):
            a1 = i.get((l, f"idlemem_{tag}"))
            a2 = i.get((l, f"idleslab_{tag}"))
            if a1 or a2:
                w(f"- {NAMES[l]}, {'ran to HLT once' if tag == 'ran' else 'never run'}: "
                  f"meminfo deltas {a1 or '?'}; slab caches that grew most: "
                  f"{(a2 or '?').replace('top caches per VM (kB):', '').strip()}")
    w("")
    w("### Dirty logging detail (last repetition)\n")
    for l in LABELS:
        v = i.get((l, "dirty"))
        if v:
            w(f"- {NAMES[l]}: {v}")
    w("")
    w("## Mini-VMM density bench\n")
    w(f"`mini-vmm bench -n {meta.get('mvm_n', '?')} -k 2 --device DEV` (docs/mini-vmm.md: hello.elf, "
      "modes cold, pool, snapshot; latencies in µs of the bench's clock, which runs at the "
      "emulated instruction rate), once per module in the same boot; and on this machine's "
      f"`/dev/kvm` with `-n {meta.get('mvm_host_n', '?')}`.")
    if "mvm" in relimg:
        w(f"\n![mini-VMM bench]({relimg['mvm']})")
    w(mvm_md(d))
    w("")
    w(f"This machine's `/dev/kvm` is **not comparable**: it is a nested KVM — the host kernel "
      f"{meta.get('host_kernel', '?')} in a Firecracker microVM on '{meta.get('host_cpu', '?')}' "
      f"without VMX, serving /dev/kvm through `{meta.get('host_kvm', '?').strip()}` "
      "(PVM: guest kernel-mode code is run by a software switcher/emulation, user mode natively), "
      "shared with other work, measured in real time, not in emulated instructions.\n")
    if d["host_txt"]:
        w("<details><summary>mini-vmm bench output on this machine</summary>\n\n```\n" +
          d["host_txt"].strip() + "\n```\n</details>\n")
    for l in LABELS:
        if d["mvm_out"][l]:
            w(f"<details><summary>mini-vmm bench output in the bench, {NAMES[l]}</summary>\n\n```\n" +
              "\n".join(d["mvm_out"][l]) + "\n```\n</details>\n")
    w("## Method\n")
    kp = ", ".join(f"{k}={v}" for k, v in d["kparams"].items()) or "?"
    w(f"""- **Bench**: `bench/run.sh -c {meta.get('cpus', '?')} -m {meta.get('mem', '?')}` — Bochs \
{meta.get('bochs', '?')} emulating an Intel Haswell (`corei7_haswell_4770`: VMX with EPT, EPT A/D, \
unrestricted guest, VPID, preemption timer), `ips=50000000`, `clock: sync=none`, 1 emulated CPU, \
{meta.get('mem', '?')} MiB; Debian's {meta.get('kver', '?')} kernel with busybox; `mitigations=off`. \
THP set to `madvise` (`enabled` and `defrag`) by the script: the kernel turns THP off by default \
below 512 MiB. Stock kvm_intel parameters: {kp} (APICv and PML are unavailable on Bochs' CPU).
- **Order**: each repetition loads `rkvm.ko`, runs every rkvm figure, unloads it, then loads the \
stock `irqbypass`, `kvm`, `kvm-intel`, runs every kvm_intel figure and unloads them. They are not \
kept loaded together because loading the second one logs a kernel WARNING today \
(`cpu_emergency_register_virt_callback`: rkvm registers its emergency VMXOFF callback at load, \
as kvm_intel does, and the kernel takes only one; `make check`'s selfcheck flags the same).
- **Clock**: under Bochs the TSC advances with emulated instructions (~1.015 ticks per \
instruction) and a VM entry or exit costs ~1 tick, so a guest TSC delta is the length of the \
software path (instructions executed in the L1 kernel, user space and guest), not hardware cost: \
VMREAD/VMWRITE, MSR writes, XSAVE or INVEPT each count as about one instruction, unlike on real \
hardware. Figures repeat to ~0.1% across boots.
- **Guest**: 32-bit protected mode, flat segments, paging off, interrupts off (`kvmperf.c`); every \
loop is bounded and ends in HLT (a guest spinning with interrupts off would hang Bochs under \
kvm_intel). KVM_SET_CPUID2 with KVM_GET_SUPPORTED_CPUID for the exit loops.
- **Exit loops** ({meta.get('exits_n', '?')} iterations, after one warm-up run of the same loop): \
each iteration stores the low half of RDTSC and then executes one exiting instruction — \
`out %al,$0x10` (KVM_EXIT_IO, the VMM calls KVM_RUN again at once), `cpuid` (leaf 1), \
`vmcall` (RAX=0, -KVM_ENOSYS), a 32-bit `mov` to GPA 0xe0000000 (in no memslot: KVM_EXIT_MMIO). \
Figure = median per-iteration delta minus the median of the same loop without the exiting \
instruction (5 cycles). `exitmean_*` in the raw data are the means (they include the host \
timer tick and, for rkvm, its preemption-timer exits). Host-side, for scale: a `getppid` \
system call and a KVM_RUN with `immediate_exit` set (host TSC, median of 1000).
- **Lifecycle**: KVM_CREATE_VM, one 64 KiB memslot (host memory shared by all VMs, populated), \
KVM_CREATE_VCPU, mmap of kvm_run, KVM_GET/SET_SREGS, KVM_SET_REGS, KVM_RUN to a HLT, munmap, \
close both fds; {meta.get('life_n', '?')} in a row after two warm-ups, host CLOCK_MONOTONIC \
(the bench's clock) for the rate, host TSC per VM.
- **Idle memory**: {meta.get('idle_n', '?')} VMs alive at once, each with the memslot above and one \
vCPU with kvm_run mapped; `/proc/meminfo` and `/proc/slabinfo` read before creating and after \
(each time after 0.5 s and `drop_caches=2`), per VM = delta / N. "ran": each vCPU ran to a HLT \
once (VMCS launched, EPT root and one guest page mapped); "never run": created only. One \
warm-up round first. MemFree drop includes everything the kernel allocated for the VM (slab, \
vmalloc, page tables, kernel stacks, VMCS and kvm_run pages).
- **Fault-in**: a {meta.get('mb', '?')} MiB memslot at GPA 0x40000000 backed by anonymous memory \
(2 MiB-aligned; `MADV_NOHUGEPAGE` for 4 KiB, `MADV_HUGEPAGE` for THP; the THP runs were checked \
in `/proc/self/smaps` AnonHugePages), the guest writes one byte per 4 KiB page once, guest TSC \
around the loop. `-pre`: the host memory was written by the VMM first, so only the EPT fault is \
left. Rates are MiB/s of guest memory in guest-TSC time.
- **Dirty log**: the same {meta.get('mb', '?')} MiB slot (4 KiB, populated) created with \
KVM_MEM_LOG_DIRTY_PAGES; the guest writes every page, KVM_GET_DIRTY_LOG (must report every \
page), the guest writes every page again (the re-dirty pass: every write hits a write-protected \
page), KVM_GET_DIRTY_LOG again (must report every page). Figures: that second \
KVM_GET_DIRTY_LOG (host TSC around the ioctl), the re-dirty pass (guest TSC per page), and \
their sum as the round trip.
""")
    w("## Raw data\n")
    w("<details><summary>every value, in run order</summary>\n")
    w(raw_md(d))
    w("\n</details>\n")
    os.makedirs(os.path.dirname(os.path.abspath(a.doc)), exist_ok=True)
    with open(a.doc, "w") as f:
        f.write("\n".join(md).rstrip() + "\n")
    print(f"report: wrote {a.doc} and {len(imgs)} plots in {a.img}", file=sys.stderr)

    missing = [r[1] for r in rows if r[0] == "fig" and (not r[5]["rkvm"] or not r[5]["kvm"])]
    if missing:
        print(f"report: no data for {', '.join(missing)}", file=sys.stderr)
    return 1 if (missing or d["fails"] or d["done"] is None) else 0


if __name__ == "__main__":
    sys.exit(main())
