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
    args = ap.parse_args()
    for tool in ("Xvfb", "xdotool"):
        if not shutil.which(tool):
            sys.exit(f"error: {tool} is missing (apt-get install xvfb xdotool)")
    if not os.path.exists(args.csv):
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
    app = subprocess.Popen([args.binary, args.csv], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
                    if len(p) == 4:
                        out.append((float(p[0]), float(p[1]), int(p[2]), p[3]))
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
            if any(j > 0 for _, _, j, _ in fr):
                seen_job = True
            if seen_job and fr and all(j == 0 for _, _, j, _ in fr[-20:]):
                break
        else:
            sys.exit("error: the data did not load in time")
        marks["loaded"] = now()
        time.sleep(5)
        marks["idle_end"] = now()
        # Scroll the table: the mouse over the middle of the window, wheel down, then up.
        xdo("mousemove", str(w // 2 + 150), str(h // 2))
        marks["scroll_start"] = now()
        for _ in range(3):
            xdo("click", "--repeat", "60", "--delay", "25", "5")
            xdo("click", "--repeat", "30", "--delay", "25", "4")
        marks["scroll_end"] = now()
        # Train: the Train tab, then its Train button (positions at 1600x1000, egui's default scale).
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
    # The app's clock starts a little after the process; align on the first frame.
    def between(a, b, jobs=None):
        return [ms for t, ms, j, _ in fr if a + 0.3 <= t <= b - 0.1 and (jobs is None or (j > 0) == jobs)]
    print(f"{len(fr)} frames logged, window {args.size}, data {args.csv}")
    print(summary("loading (job running)", [ms for t, ms, j, _ in fr if t < marks["loaded"] and j > 0]))
    print(summary("idle, 1M rows open", between(marks["loaded"], marks["idle_end"])))
    print(summary("scrolling the table", between(marks["scroll_start"], marks["scroll_end"])))
    print(summary("training job running", between(marks["train_clicked"], marks["end"], jobs=True)))
    os.unlink(log)


if __name__ == "__main__":
    main()
