#!/usr/bin/env python3
"""Independent generator of test/vectors/aggregation-golden.json.

Written in Python with exact rationals (fractions.Fraction), dense per-coordinate lists, math.isqrt
and its own Keccak-256, deliberately sharing no code with src/aggregation or src/model, so the golden
test checks the TypeScript against a second implementation of docs/aggregation.md, not against itself.
Run: python3 test/vectors/aggregation-golden.py > test/vectors/aggregation-golden.json
"""
import json
import math
import struct
from fractions import Fraction

# ---- Keccak-256 (original padding 0x01, as Ethereum uses) ----
RC = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]
ROT = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61], [28, 55, 25, 21, 56], [27, 20, 39, 8, 14]]
M64 = (1 << 64) - 1


def rol(x, n):
    return ((x << n) | (x >> (64 - n))) & M64 if n else x


def keccak_f(a):
    for rc in RC:
        c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ rol(c[(x + 1) % 5], 1) for x in range(5)]
        a = [[a[x][y] ^ d[x] for y in range(5)] for x in range(5)]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = rol(a[x][y], ROT[x][y])
        a = [[b[x][y] ^ ((~b[(x + 1) % 5][y]) & b[(x + 2) % 5][y]) for y in range(5)] for x in range(5)]
        a[0][0] ^= rc
    return a


def keccak256(data: bytes) -> str:
    rate = 136
    padded = bytearray(data) + b"\x01"
    while len(padded) % rate:
        padded += b"\x00"
    padded[-1] |= 0x80
    a = [[0] * 5 for _ in range(5)]
    for off in range(0, len(padded), rate):
        block = padded[off : off + rate]
        for i in range(rate // 8):
            x, y = i % 5, i // 5
            a[x][y] ^= int.from_bytes(block[8 * i : 8 * i + 8], "little")
        a = keccak_f(a)
    out = b"".join(a[i % 5][i // 5].to_bytes(8, "little") for i in range(4))
    return "0x" + out.hex()


assert keccak256(b"") == "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
assert keccak256(b"abc") == "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"

# ---- the documented rules, naively ----


def round_half_away(q: Fraction) -> int:
    f = math.floor(abs(q))
    if abs(q) - f >= Fraction(1, 2):
        f += 1
    return f if q >= 0 else -f


def dense(update, d):
    row = [0] * d
    for i, v in zip(update["indices"], update["values"]):
        row[i] = v
    return row


def clip(row, c):
    s = sum(v * v for v in row)
    if s <= c * c:
        return row
    r = math.isqrt(s)
    if r * r < s:
        r += 1
    # trunc toward zero of v*c/r
    return [(abs(v) * c // r) * (1 if v >= 0 else -1) for v in row]


def lower_median(xs):
    s = sorted(xs)
    return s[(len(s) - 1) // 2]


def screen(group, t):
    """screened-mean's screen (docs/aggregation.md): ([(member, reason)] left out, in member order, [suspects])."""
    d = group["dimension"]
    members = sorted(group["updates"], key=lambda u: u["member"].lower())
    rows = [dense(u, d) for u in members]
    n = len(rows)
    if n < 3:
        return []
    sq = [sum(v * v for v in r) for r in rows]
    norms = [math.isqrt(x) for x in sq]
    med = lower_median(norms)
    out = {}
    settled = set()  # one round's evidence is enough: near-empty, near-copies
    for i in range(n):
        if 10 * norms[i] < med:
            out[i] = "FreeRider"
            settled.add(i)
    # Colluders: near-copies of another update, or opposed to most members (pairwise cosines as IEEE doubles).
    cands = [i for i in range(n) if i not in out and sq[i] > 0]
    if len(cands) >= 3:
        outlier_at = (-4 * t) / 1000
        stage = {}
        for i in cands:
            cos = sorted(
                float(sum(a * b for a, b in zip(rows[i], rows[j]))) / math.sqrt(float(sq[i]) * float(sq[j]))
                for j in cands
                if j != i
            )
            agreement = cos[(len(cos) - 1) // 2]
            if cos[-1] >= 0.99:
                stage[i] = "Outlier"
                settled.add(i)
            elif agreement <= outlier_at:
                stage[i] = "Outlier"
        out.update(stage)
    while True:
        kept = [i for i in range(n) if i not in out]
        if len(kept) < 3:
            break
        S = [sum(rows[i][j] for i in kept) for j in range(d)]
        fresh = []
        for i in kept:
            others = [S[j] - rows[i][j] for j in range(d)]
            D = sum(a * b for a, b in zip(rows[i], others))
            L = sum(v * v for v in others)
            shared = sum(1 for j in range(d) if rows[i][j] != 0 and others[j] != 0)
            if L == 0 or sq[i] == 0 or 4 * shared < sum(1 for v in rows[i] if v != 0):
                continue
            strong = D * D * 10**6 >= t * t * sq[i] * L
            if strong and D >= 0:
                continue
            cosine = float(D) / math.sqrt(float(sq[i]) * float(L))
            fresh.append((cosine, i, "Outlier" if strong else "FreeRider"))
        if not fresh:
            break
        worst = fresh[0]
        for f in fresh[1:]:
            if f[0] < worst[0]:
                worst = f
        out[worst[1]] = worst[2]
    # A direction verdict needs the member among the suspects of one of the two rounds before.
    recent = set(m.lower() for r in group.get("previousSuspects", [])[:2] for m in r)
    left_out = [(members[i]["member"], out[i]) for i in sorted(out) if i in settled or members[i]["member"].lower() in recent]
    return left_out, sorted(members[i]["member"].lower() for i in out)


def aggregate(group, rule):
    d = group["dimension"]
    members = sorted(group["updates"], key=lambda u: u["member"].lower())
    if rule["kind"] == "screened-mean":
        flagged = {m for m, _ in screen(group, rule["t"])[0]}
        members = [u for u in members if u["member"] not in flagged]
    if rule["kind"] == "sum" and "support" in rule:
        flagged = {m for m, _ in sum_screen(group, rule["support"])[0]}
        members = [u for u in members if u["member"] not in flagged]
    rows = [dense(u, d) for u in members]
    n = len(rows)
    kind = rule["kind"]
    if kind == "clipped-mean":
        rows = [clip(r, rule["clipL2"]) for r in rows]
    if kind == "screened-mean":
        c = lower_median([math.isqrt(sum(v * v for v in r)) for r in rows])
        if c > 0:
            rows = [clip(r, c) for r in rows]
    out = []
    for j in range(d):
        col = [r[j] for r in rows]
        if kind in ("mean", "clipped-mean", "screened-mean"):
            v = round_half_away(Fraction(sum(col), n))
        elif kind == "sum":
            v = sum(col)
        elif kind == "weighted-mean":
            w = [rule["weights"][u["member"].lower()] for u in members]
            v = round_half_away(Fraction(sum(a * b for a, b in zip(col, w)), sum(w)))
        elif kind == "trimmed-mean":
            t = rule["trim"]
            s = sorted(col)[t : n - t]
            v = round_half_away(Fraction(sum(s), len(s)))
        elif kind == "median":
            s = sorted(col)
            if n % 2:
                v = s[n // 2]
            else:
                v = round_half_away(Fraction(s[n // 2 - 1] + s[n // 2], 2))
        out.append(v)
    if kind == "sum" and "support" in rule:
        out = support_veto(rows, out, rule["support"])
    if kind == "sum":
        for v in out:
            assert -(2**31 - 1) <= v <= 2**31 - 1, "a sum leaves int32: the TypeScript refuses it"
    idx = [j for j in range(d) if out[j] != 0]
    return {"indices": idx, "values": [out[j] for j in idx]}


def sum_screen(group, support):
    """Free riders under a supported sum: an empty update while someone sent counts, a negative count, or a
    node (m histograms of B x C) whose per-class totals differ between its histograms."""
    q, m, B, C = support
    members = sorted(group["updates"], key=lambda u: u["member"].lower())
    sent = sum(1 for u in members if u["indices"])
    roots = all(v == 0 for v in group["initialParams"])  # only the roots are open to every row
    node_width = m * B * C
    held = {i // node_width for i, v in enumerate(group["initialParams"]) if v != 0}
    flagged = []
    for u in members:
        if not u["indices"]:
            if sent > 0 and roots:
                flagged.append(u)
            continue
        if any(v < 0 for v in u["values"]):
            flagged.append(u)
            continue
        nodes = {}
        for i, v in zip(u["indices"], u["values"]):
            n, within = divmod(i, m * B * C)
            slot, rest = divmod(within, B * C)
            nodes.setdefault(n, [[0] * C for _ in range(m)])[slot][rest % C] += v
        if any(t[slot] != t[0] for t in nodes.values() for slot in range(m)):
            flagged.append(u)
            continue
        if any(i // node_width in held for i in u["indices"]):  # counts a node the base model holds
            flagged.append(u)
    return [(u["member"], "FreeRider") for u in flagged], sorted(u["member"].lower() for u in flagged)


def support_veto(rows, sums, support):
    """Histograms of B bins x C classes: one that some member's rows vary on (two or more bins holding a
    positive value) but fewer than q members' do is collapsed into its first bin, per class."""
    q, _m, B, C = support
    width = B * C
    d = len(sums)
    out = list(sums)
    at = lambda h, b, c: h * width + b * C + c
    for h in range((d + width - 1) // width):  # a last, partial histogram counts too
        cells = [(b, c) for b in range(B) for c in range(C) if at(h, b, c) < d]
        varying = sum(1 for r in rows if len({b for b, c in cells if r[at(h, b, c)] > 0}) >= 2)
        if 1 <= varying < q:
            for c in range(C):
                total = sum(sums[at(h, b, c2)] for b, c2 in cells if c2 == c)
                for b, c2 in cells:
                    if c2 == c:
                        out[at(h, b, c2)] = 0
                if at(h, 0, c) < d:
                    out[at(h, 0, c)] = total
    return out


def encode_model(task, rnd, scale, params):
    return b"CFLM" + struct.pack("<IIIII", 1, task, rnd, len(params), scale) + struct.pack("<%di" % len(params), *params)


def apply_delta(params, delta):
    out = list(params)
    for i, v in zip(delta["indices"], delta["values"]):
        out[i] = max(-(2**31), min(2**31 - 1, out[i] + v))
    return out


IMAX, IMIN = 2**31 - 1, -(2**31)


def SUPPORT(q, m, B, C):
    """sum's parameter: q * 2^48 + m * 2^32 + B * 2^16 + C."""
    return (q << 48) + (m << 32) + (B << 16) + C


def A(n):
    return "0x" + n * 40


GROUPS = [
    {
        "name": "five members, small values, rounding ties",
        "task": 7,
        "round": 3,
        "scale": 4096,
        "dimension": 16,
        "initialParams": [0, 1, -1, 100, -100, 4096, -4096, 7, 0, 0, 12345, -12345, 2, -2, 0, IMAX - 3],
        # Deliberately not in address order, mixed case.
        "updates": [
            {"member": "0x" + "C" * 40, "indices": [0, 1, 2, 5, 15], "values": [5, -5, 2, 1, 3]},
            {"member": A("a"), "indices": [0, 2, 3, 9, 15], "values": [5, 3, -8, 1, 1]},
            {"member": A("e"), "indices": [], "values": []},
            {"member": A("b"), "indices": [0, 1, 3, 4, 9, 15], "values": [-2, -3, 8, 10, 1, 2]},
            {"member": "0x" + "D" * 20 + "d" * 20, "indices": [1, 2, 3, 7, 9, 14, 15], "values": [-1, 2, 9, -20, 1, -7, 1]},
        ],
        "rules": [
            {"ruleId": 0, "param": 0},
            {"ruleId": 1, "param": 0, "weights": {A("a"): 1, A("b"): 2, A("c"): 3, A("d"): 4, A("e"): 5, A("f"): 9}},
            {"ruleId": 2, "param": 1},
            {"ruleId": 2, "param": 2},
            {"ruleId": 3, "param": 0},
            {"ruleId": 4, "param": 6},
            {"ruleId": 5, "param": 25},
            {"ruleId": 6, "param": 0},
        ],
    },
    {
        "name": "six members, int32 extremes, even median, saturation",
        "task": 4294967295,
        "round": 1,
        "scale": 65536,
        "dimension": 24,
        "initialParams": [IMAX, IMIN] + [3 * i - 30 for i in range(22)],
        "updates": [
            {"member": "0x00000000000000000000000000000000000000f1", "indices": [0, 1, 2, 3, 23], "values": [IMAX, IMIN, IMAX, IMIN, 1]},
            {"member": "0x00000000000000000000000000000000000000F2", "indices": [0, 1, 2, 3, 10, 23], "values": [IMAX, IMIN, IMAX, IMAX, 3, -1]},
            {"member": "0x00000000000000000000000000000000000000f3", "indices": [0, 1, 2, 10, 11, 23], "values": [IMAX, IMIN, IMIN, -3, 5, 1]},
            {"member": "0x00000000000000000000000000000000000000f4", "indices": [0, 1, 10, 11, 12], "values": [IMAX, IMIN, 4, 5, 1]},
            {"member": "0x00000000000000000000000000000000000000f5", "indices": [0, 1, 2, 11, 12, 20], "values": [IMAX, IMIN, 1, -5, -1, 2]},
            {"member": "0x00000000000000000000000000000000000000f6", "indices": [0, 1, 10, 11, 12, 20, 21], "values": [IMAX, IMIN, -4, 5, 1, 2, 3]},
        ],
        "rules": [
            {"ruleId": 0, "param": 0},
            {"ruleId": 1, "param": 0, "weights": {"0x00000000000000000000000000000000000000f%d" % i: 10**9 * i for i in range(1, 7)}},
            {"ruleId": 2, "param": 1},
            {"ruleId": 2, "param": 2},
            {"ruleId": 3, "param": 0},
            {"ruleId": 4, "param": 1 << 31},
            {"ruleId": 4, "param": 3},
            {"ruleId": 5, "param": 25},
        ],
    },
    {
        "name": "screen: an empty and a copied update left out among members that agree, an opposing one only suspected (no history); one on coordinates nobody else sent is not judged",
        "task": 9,
        "round": 5,
        "scale": 4096,
        "dimension": 12,
        "initialParams": [10 * i - 40 for i in range(12)],
        "updates": [
            {"member": A("1"), "indices": [0, 1, 2, 3, 4], "values": [40, -30, 22, 15, -8]},
            {"member": A("2"), "indices": [0, 1, 2, 3, 5], "values": [38, -28, 25, 11, 3]},
            {"member": A("3"), "indices": [0, 1, 2, 4, 6], "values": [45, -35, 18, -5, 2]},
            {"member": A("4"), "indices": [0, 1, 3, 4, 7], "values": [300, -260, 120, -60, 9]},
            {"member": A("5"), "indices": [], "values": []},
            {"member": A("6"), "indices": [0, 1, 2, 3], "values": [-41, 29, -24, -13]},
            {"member": A("7"), "indices": [8, 9, 10, 11], "values": [37, -33, 29, 31]},
            {"member": A("8"), "indices": [0, 1, 2, 4, 6], "values": [90, -70, 36, -10, 4]},
        ],
        "rules": [
            {"ruleId": 0, "param": 0},
            {"ruleId": 5, "param": 25},
            {"ruleId": 5, "param": 999},
            {"ruleId": 6, "param": 0},
        ],
    },
]

GROUPS.append(
    {
        "name": "supported sum: three histograms of 4 bins x 2 classes; every honest member varies on the first, each fills one bin of the second, only two members vary on the third (the trigger)",
        "task": 11,
        "round": 2,
        "scale": 1,
        "dimension": 24,
        "initialParams": [0] * 24,
        "updates": [
            {"member": A("1"), "indices": [0, 3, 8, 16, 17], "values": [5, 2, 7, 9, 1]},
            {"member": A("2"), "indices": [1, 4, 7, 10, 16], "values": [3, 4, 1, 6, 8]},
            {"member": A("3"), "indices": [2, 5, 12, 16, 17], "values": [6, 1, 5, 4, 2]},
            {"member": A("4"), "indices": [0, 6, 14, 17], "values": [2, 3, 8, 5]},
            {"member": A("a"), "indices": [0, 2, 8, 18, 19, 22], "values": [4, 1, 2, 7, 9, 3]},
            {"member": A("b"), "indices": [1, 4, 10, 16, 21, 23], "values": [2, 2, 3, 1, 6, 4]},
        ],
        "rules": [
            {"ruleId": 6, "param": 0},
            {"ruleId": 6, "param": SUPPORT(3, 1, 4, 2)},
            {"ruleId": 6, "param": SUPPORT(7, 1, 4, 2)},
            # Read as 4 histograms of 2 bins x 3 classes.
            {"ruleId": 6, "param": SUPPORT(2, 1, 2, 3)},
        ],
    }
)
GROUPS.append(
    {
        "name": "supported sum's screen: nodes of 2 histograms x 2 bins x 2 classes; an empty update, random counts (a node's histograms disagree) and a negative count are free riders, honest counts stay",
        "task": 12,
        "round": 4,
        "scale": 1,
        "dimension": 16,
        "initialParams": [0] * 16,
        "updates": [
            {"member": A("1"), "indices": [0, 3, 4, 5, 6], "values": [3, 2, 1, 2, 2]},
            {"member": A("2"), "indices": [10, 12], "values": [4, 4]},
            {"member": A("3"), "indices": [1, 7, 8, 14], "values": [1, 1, 2, 2]},
            {"member": A("e"), "indices": [], "values": []},
            {"member": A("f"), "indices": [0, 4], "values": [5, 3]},
            {"member": A("9"), "indices": [8, 9, 12], "values": [2, -1, 2]},
        ],
        "rules": [
            {"ruleId": 6, "param": 0},
            {"ruleId": 6, "param": SUPPORT(2, 2, 2, 2)},
            {"ruleId": 6, "param": SUPPORT(9, 2, 2, 2)},
        ],
    }
)
GROUPS.append(
    {
        "name": "supported sum's screen: past the roots, a member that counts a node the base model holds (last round's change again) is a free rider; an empty update is not judged",
        "task": 12,
        "round": 5,
        "scale": 1,
        "dimension": 24,
        "initialParams": [3, 0, 0, 2, 1, 0, 2, 2] + [0] * 16,
        "updates": [
            {"member": A("1"), "indices": [8, 11, 12, 15], "values": [2, 1, 2, 1]},
            {"member": A("2"), "indices": [16, 20], "values": [3, 3]},
            {"member": A("3"), "indices": [0, 3, 4, 6, 7], "values": [3, 2, 1, 2, 2]},
            {"member": A("4"), "indices": [], "values": []},
        ],
        "rules": [{"ruleId": 6, "param": SUPPORT(2, 2, 2, 2)}],
    }
)
GROUPS.append(
    {
        "name": "supported sum's screen: past the forest's depth everyone sends nothing, and nobody is flagged",
        "task": 12,
        "round": 9,
        "scale": 1,
        "dimension": 8,
        "initialParams": [5, 0, 0, 1, 5, 0, 0, 1],
        "updates": [{"member": A(x), "indices": [], "values": []} for x in "123"],
        "rules": [{"ruleId": 6, "param": SUPPORT(2, 2, 2, 2)}],
    }
)

SCREEN_GROUP = GROUPS[-4]
for name, history in [
    ("the opposing member was a suspect the round before: left out", [[A("6")]]),
    ("the opposing member was a suspect two rounds before: left out", [[A("2")], [A("6")]]),
    ("the opposing member was a suspect three rounds before: too long ago, kept", [[], [], [A("6")]]),
]:
    GROUPS.append(dict(SCREEN_GROUP, name="screen history: " + name, previousSuspects=history, rules=[{"ruleId": 5, "param": 25}]))

KINDS = {0: "mean", 1: "weighted-mean", 2: "trimmed-mean", 3: "median", 4: "clipped-mean", 5: "screened-mean", 6: "sum"}

out_groups = []
for g in GROUPS:
    init = g["initialParams"]
    assert len(init) == g["dimension"]
    init_bytes = encode_model(g["task"], 0, g["scale"], init)
    cases = []
    for r in g["rules"]:
        kind = KINDS[r["ruleId"]]
        rule = {"kind": kind}
        if kind == "trimmed-mean":
            rule["trim"] = r["param"]
        if kind == "clipped-mean":
            rule["clipL2"] = r["param"]
        if kind == "screened-mean":
            rule["t"] = r["param"]
        if kind == "sum" and r["param"] != 0:
            p = r["param"]
            rule["support"] = (p >> 48, (p >> 32) & 0xFFFF, (p >> 16) & 0xFFFF, p & 0xFFFF)
        if kind == "weighted-mean":
            rule["weights"] = {k.lower(): v for k, v in r["weights"].items()}
        delta = aggregate(g, rule)
        params = apply_delta(init, delta)
        model_bytes = encode_model(g["task"], g["round"], g["scale"], params)
        case = {
            "ruleId": r["ruleId"],
            "param": str(r["param"]),
            "expectedDelta": delta,
            "expectedModelBytes": model_bytes.hex(),
            "expectedModelHash": keccak256(model_bytes),
        }
        if "weights" in r:
            case["weights"] = {k: str(v) for k, v in r["weights"].items()}
        if kind == "screened-mean":
            left_out, suspects = screen(g, r["param"])
            case["expectedFlagged"] = [{"member": m, "reason": reason} for m, reason in left_out]
            case["expectedSuspects"] = suspects
        if kind == "sum" and "support" in rule:
            left_out, suspects = sum_screen(g, rule["support"])
            case["expectedFlagged"] = [{"member": m, "reason": reason} for m, reason in left_out]
            case["expectedSuspects"] = suspects
        cases.append(case)
    out_groups.append(
        {
            "name": g["name"],
            "task": g["task"],
            "round": g["round"],
            "scale": g["scale"],
            "dimension": g["dimension"],
            "initialParams": init,
            "initialModelHash": keccak256(init_bytes),
            "updates": g["updates"],
            **({"previousSuspects": g["previousSuspects"]} if "previousSuspects" in g else {}),
            "cases": cases,
        }
    )

print(
    json.dumps(
        {
            "description": "Golden aggregation vectors: for each group, aggregate the updates by each policy rule (ruleId, param as decimal string, weights as decimal strings), apply the delta to the round-0 model built from initialParams (fixed-point ints), encode with the round given, and compare bytes and keccak256. Generated by test/vectors/aggregation-golden.py, independently of the TypeScript.",
            "modelFormatVersion": 1,
            "groups": out_groups,
        },
        indent=1,
    )
)
