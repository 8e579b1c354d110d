#!/usr/bin/env python3
"""Frame times of the real app with a 1,000,000-row dataset: idle, scrolling the table, and
while a background job (training) runs.

Runs the release binary in a virtual X screen (Xvfb, software OpenGL) with
GLASSBOX_FRAME_LOG set, so the app writes the CPU time of every frame (our UI code plus egui's
layout and tessellation, as eframe measures it) and repaints continuously. The script drives it
with xdotool: waits for the load, stays idle, scrolls the data table with the mouse wheel,
starts training from the Train panel, and prints the frame times of each phase.

    cargo build --release
    python3 benches/frame_time.py [--binary target/release/glassbox] [--csv FILE] [--size 1600x1000]
    python3 benches/frame_time.py --plan-project svm.glassbox   # dragging a Plan slider instead

With --plan-project the app opens that project, shows the Plan panel and drags the slider of the
scenario's fifth feature (Torque on the AI4I sample) back and forth for ten seconds: the
prediction, the envelope check and the sweep follow every frame; for an SVM the KernelSHAP
waterfall follows as a background job. Make the project with, for example,
`glassbox train sample_data/ai4i2020.csv --target "Machine failure" --model svm --max-train-rows 8000 --out svm.glassbox`.

Needs Xvfb and xdotool (`apt-get install xvfb xdotool`). Without --csv it writes a generated
1,000,000 x 14 CSV to target/bench-data/plant_1m_x14.csv (as benches/load.rs does).
"""

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def generate(path, rows=1_000_000):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rnd = random.Random(7)
    with open(path, "w") as f:
        f.write("id,time,air_temp_K,process_temp_K,speed_rpm,torque_Nm,tool_wear_min,vibration_mm_s,"
                "pressure_bar,flow_l_min,humidity_pct,line,shift,failure\n")
        for i in range(rows):
            air = 295 + rnd.random() * 10
            torque = rnd.gauss(40, 10)
            wear = rnd.randrange(0, 250)
            fail = 1 if (torque > 60 and wear > 180) or rnd.random() < 0.01 else 0
            f.write(f"{i},{i * 60},{air:.1f},{air + 10 + rnd.random():.1f},{rnd.randrange(1200, 2900)},"
                    f"{torque:.1f},{wear},{rnd.random() * 5:.2f},{1 + rnd.random():.3f},{rnd.random() * 90:.1f},"
                    f"{30 + rnd.random() * 40:.0f},{'ABC'[i % 3]},{'early' if i % 2 else 'late'},{fail}\n")


def summary(name, values):
    if not values:
        return f"{name:<28} no frames"
    v = sorted(values)
    q = lambda p: v[min(len(v) - 1, int(p * len(v)))]
    over = sum(1 for x in v if x > 16.0)
    return (f"{name:<28} {len(v):6d} frames  median {statistics.median(v):6.2f} ms  p95 {q(0.95):6.2f}  "
            f"p99 {q(0.99):6.2f}  max {v[-1]:7.2f}  over 16 ms: {over}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/glassbox")
    ap.add_argument("--csv", default="target/bench-data/plant_1m_x14.csv")
    ap.add_argument("--size", default="1600x1000")
    ap.add_argument("--load-timeout", type=float, default=180.0)
    ap.add_argument("--plan-project", help="measure dragging a Plan slider with this project open")
    args = ap.parse_args()
    for tool in ("Xvfb", "xdotool"):
        if not shutil.which(tool):
            sys.exit(f"error: {tool} is missing (apt-get install xvfb xdotool)")
    if not args.plan_project and not os.path.exists(args.csv):
        print(f"writing {args.csv} …", file=sys.stderr)
        generate(args.csv)
    w, h = (int(x) for x in args.size.split("x"))
    display = f":{100 + random.randrange(300)}"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", f"{args.size}x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    log = tempfile.NamedTemporaryFile(suffix=".frames", delete=False).name
    env = dict(os.environ, DISPLAY=display, LIBGL_ALWAYS_SOFTWARE="1", GLASSBOX_FRAME_LOG=log)
    env.pop("WAYLAND_DISPLAY", None)
    t0 = time.time()
    opened = args.plan_project or args.csv
    app = subprocess.Popen([args.binary, opened], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    marks = {}

    def now():
        return time.time() - t0

    def xdo(*a):
        subprocess.run(["xdotool", *a], env=env, check=False)

    def frames():
        out = []
        try:
            with open(log) as f:
                for line in f:
                    p = line.split()
                    if len(p) == 5:
                        out.append((float(p[0]), float(p[1]), int(p[3]), p[4], float(p[2])))
        except FileNotFoundError:
            pass
        return out

    try:
        # Wait until the load job is over (no job for a second after one ran).
        deadline = time.time() + args.load_timeout
        seen_job = False
        while time.time() < deadline:
            time.sleep(1)
            fr = frames()
            if any(j > 0 for _, _, j, _, _ in fr):
                seen_job = True
            if (seen_job or now() > 5) and len(fr) > 20 and all(j == 0 for _, _, j, _, _ in fr[-20:]):
                break
        else:
            sys.exit("error: the data did not load in time")
        marks["loaded"] = now()
        if args.plan_project:
            # The Plan tab, then wait for the planner (a job) to finish.
            xdo("mousemove", "364", "37", "click", "1")
            time.sleep(8)
            marks["drag_start"] = now()
            # The fifth feature's slider (positions at 1600x1000, egui's default scale).
            y = "313"
            xdo("mousemove", "160", y, "mousedown", "1")
            end = time.time() + 10
            x, step = 160, 3
            while time.time() < end:
                x += step
                if x > 250 or x < 160:
                    step = -step
                xdo("mousemove", str(x), y)
                time.sleep(0.016)
            xdo("mouseup", "1")
            marks["drag_end"] = now()
            time.sleep(1)
        else:
            time.sleep(5)
            marks["idle_end"] = now()
            # Scroll the table: the mouse over the middle of the window, wheel down, then up.
            xdo("mousemove", str(w // 2 + 150), str(h // 2))
            marks["scroll_start"] = now()
            for _ in range(3):
                xdo("click", "--repeat", "60", "--delay", "25", "5")
                xdo("click", "--repeat", "30", "--delay", "25", "4")
            marks["scroll_end"] = now()
            # Train: the Train tab, then its Train button (positions at 1600x1000, default scale).
            xdo("mousemove", "88", "37", "click", "1")
            time.sleep(1)
            xdo("mousemove", "62", "477", "click", "1")
            marks["train_clicked"] = now()
            time.sleep(15)
        marks["end"] = now()
    finally:
        app.terminate()
        try:
            app.wait(5)
        except subprocess.TimeoutExpired:
            app.kill()
        xvfb.terminate()

    fr = frames()

    def between(a, b, jobs=None, ui_only=False):
        return [u if ui_only else ms for t, ms, j, _, u in fr
                if a + 0.3 <= t <= b - 0.1 and (jobs is None or (j > 0) == jobs)]

    print(f"{len(fr)} frames logged, window {args.size}, {opened}")
    print("whole frame (UI code, tessellation, OpenGL calls; software OpenGL rasterises on the CPU here):")
    phases = [("loading (job running)", 0.0, marks["loaded"], True)]
    if args.plan_project:
        phases += [("dragging a Plan slider", marks["drag_start"], marks["drag_end"], None)]
    else:
        phases += [("idle, data open", marks["loaded"], marks["idle_end"], None),
                   ("scrolling the table", marks["scroll_start"], marks["scroll_end"], None),
                   ("training job running", marks["train_clicked"], marks["end"], True)]
    for name, a, b, jobs in phases:
        print("  " + summary(name, between(a, b, jobs)))
    print("UI code alone (our panels and egui's layout):")
    for name, a, b, jobs in phases:
        print("  " + summary(name, between(a, b, jobs, ui_only=True)))
    os.unlink(log)


if __name__ == "__main__":
    main()
