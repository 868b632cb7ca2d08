#!/usr/bin/env bash
# Worst-case cost per KB of hostile input shapes, measured on the release
# server (stats.total_us of each Analyze: pipeline time, no network/queue).
# A shape whose ms/KB grows with size is super-linear.
#
#   scripts/cost.sh [BINARY]            (default target/release/nutgraf)
# Loopback only; about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/nutgraf}
[ -x "$bin" ] || { echo "cost: no binary at $bin (cargo build --release)"; exit 1; }
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
NUTGRAF_LOG_LEVEL=warn "$bin" serve --grpc-addr "127.0.0.1:$port" --metrics-addr "127.0.0.1:$mport" \
  --request-timeout 120s >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 200); do
  grpcurl -plaintext -d '{"service":""}' "127.0.0.1:$port" grpc.health.v1.Health/Check >/dev/null 2>&1 && break
  sleep 0.05
done
python3 - "127.0.0.1:$port" "$work" <<'PY'
import json, subprocess, sys, random
addr, work = sys.argv[1], sys.argv[2]
random.seed(7)
AR = "أعلن وزير الاقتصاد في الرباط عن خطة جديدة للاستثمار. "
DIAC = "أَعْلَنَ وَزِيرُ الْاِقْتِصَادِ الْمَغْرِبِيُّ فِي الرِّبَاطِ عَنْ خُطَّةٍ جَدِيدَةٍ. وَقَالَ مُحَمَّدُ بْنُ عَلِيٍّ إِنَّ الْحُكُومَةَ سَتُخَصِّصُ مِلْيَارَيْ دِرْهَمٍ. "
EN = "The minister of finance met officials from the World Bank in Rabat on day {i} to discuss the budget of Morocco. "
def fill(unit, n):
    return (unit * (n // len(unit.encode()) + 1))
def cut(s, n):
    b = s.encode()[:n]
    return b.decode(errors="ignore")
def prose(n):
    out, i = [], 0
    while sum(map(len, out)) < n:
        out.append(EN.format(i=i)); i += 1
        if i % 7 == 0: out.append("\n")
    return "".join(out)
def nopunct(n):
    w = "the minister met officials in Rabat about budget and trade with Morocco bank plan".split()
    return " ".join(random.choice(w) for _ in range(n // 5))
def caps(n):
    return " ".join(f"Name{i % 5000}" for i in range(n // 8))
def distinct_caps(n):
    return " ".join(f"Zx{i}q Ab{i}c" for i in range(n // 14))
def title_case(n):
    return fill("Mohammed Ben Ali Of The United Nations Met King Hassan In Rabat. ", n)
shapes = {
  "news prose (en)": prose,
  "arabic prose": lambda n: fill(AR, n),
  "arabic diacritized": lambda n: fill(DIAC, n),
  "no punctuation": nopunct,
  "one-word sentences": lambda n: fill("No. Ok. Si. لا. ", n),
  "one long word": lambda n: "a" * n,
  "one long arabic word": lambda n: "ب" * (n // 2),
  "newlines only": lambda n: "\n" * (n - 1) + "x",
  "same sentence repeated": lambda n: fill("The minister met the king in Rabat. ", n),
  "capitalised words": caps,
  "distinct capitalised": distinct_caps,
  "title-case sentences": title_case,
  "dots only": lambda n: "." * n,
  "zalgo": lambda n: "a" + "\u0336" * (n // 2),
  "html": lambda n: fill('<div class="a"><p>The <b>minister</b> resigned in <a href="/x">Rabat</a>.</p></div>\n', n),
  "short heading lines": lambda n: fill("Breaking News Today\n", n),
  "boilerplate lines": lambda n: fill("Leave a comment\nShare on Facebook\nاترك تعليقاً\nRead more\n", n),
  "emoji zwj": lambda n: fill("👨\u200d👩\u200d👧\u200d👦 ", n),
  "digits": lambda n: fill("123 456 ٣٤٥ 1,234.56 ", n),
}
print(f"{'shape':<24} {'KB':>6} {'ms':>9} {'ms/KB':>8}")
worst = []
for name, make in shapes.items():
    row = []
    for kb in (64, 256, 1000):
        text = cut(make(kb * 1024), min(kb * 1024, 1 << 20))
        body = json.dumps({"id": "cost", "text": text})
        best = None
        for _ in range(2):
            p = subprocess.run(["grpcurl", "-plaintext", "-max-msg-sz", "67108864", "-d", "@", addr,
                                "nutgraf.v1.ArticleService/Analyze"], input=body.encode(), capture_output=True)
            if p.returncode != 0:
                print(name, kb, "ERROR", p.stdout.decode()[:200], p.stderr.decode()[:200]); break
            us = int(json.loads(p.stdout)["stats"]["totalUs"])
            best = us if best is None else min(best, us)
        if best is None: continue
        real_kb = len(text.encode()) / 1024
        ms = best / 1000
        row.append(ms / real_kb)
        print(f"{name:<24} {real_kb:>6.0f} {ms:>9.1f} {ms/real_kb:>8.3f}")
    if len(row) == 3:
        worst.append((row[2], row[2] / max(row[0], 1e-9), name))
print()
print("slowest at ~1 MB (ms/KB, growth 64KB->1MB):")
for v, g, n in sorted(worst, reverse=True)[:6]:
    print(f"  {n:<24} {v:.3f} ms/KB  x{g:.1f}")
PY
