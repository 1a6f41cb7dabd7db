#!/usr/bin/env python3
"""Fits the scoring combiner's logistic coefficients (modules/scoring/src/coefficients.hpp).

    python3 modules/scoring/tools/fit_coefficients.py build/modules/scoring/tyto_scoring_features

1. Generates a labelled, synthetic-but-realistic set of marketplace listings for twelve brands, deterministically
   (seeded): label 1 = a listing that copies the brand (its name as is, in another case, with Cyrillic or Greek
   homoglyphs, in leetspeak, misspelled, with a typo, split or joined), often with fraud terms, a price below the
   brand's band, a risky seller or a near-duplicate photo; label 0 = unrelated listings, listings with near-miss
   words ("maple" for Apple, two-edit variants of the name) and accessories that name the brand legitimately
   ("case for iPhone, fits Apple …", cheap by nature).
2. Computes each example's signals with the tyto_scoring_features binary (the stage's own code).
3. Fits an L2-regularised logistic regression by Newton's method (IRLS) on a training split and reports held-out
   log loss, Brier score, AUC and a calibration table.
It prints the C++ for coefficients.hpp and the Markdown tables for docs/modules/scoring.md. Pure Python 3, no
packages beyond the standard library.
"""
import csv
import io
import json
import math
import random
import subprocess
import sys

SEED = 20261202
N_TRAIN = 4000
N_TEST = 2000
L2 = 1.0  # penalty on the coefficients (not the intercept), in units of the log likelihood's sum
# The direction each signal may push: evidence for infringement (+1), or against it (-1).
SIGNS = {"accessory_terms": -1}

BRANDS = [
    ("Apple", [], ["appel", "aple", "apdle"], ["iphone", "ipad", "macbook", "airpods"], (199, 2500), ["maple", "apply", "applet", "pineapple"]),
    ("Nike", [], ["nikee", "nkie", "niek"], ["air max", "jordan", "sneakers"], (60, 300), ["nice", "mike", "bike", "nikon"]),
    ("Adidas", [], ["addidas", "adiddas", "adidass"], ["yeezy", "ultraboost", "superstar"], (50, 300), ["adios", "aida", "avidas"]),
    ("Rolex", [], ["rolx", "rollex", "roolex"], ["submariner", "datejust", "daytona"], (5000, 60000), ["relax", "rolled", "role"]),
    ("Gucci", [], ["guci", "guuci", "gucchi"], ["marmont", "handbag", "belt"], (300, 5000), ["gnocchi", "gusto", "lucci"]),
    ("Louis Vuitton", ["LV"], ["louis vuiton", "luis vuitton", "louis vitton"], ["neverfull", "speedy", "monogram"], (500, 8000), ["louis armstrong", "louisville"]),
    ("Samsung", [], ["samsng", "samsnug", "sansung"], ["galaxy", "buds", "note"], (100, 2000), ["samson", "sansone", "samsonite"]),
    ("Chanel", [], ["chanell", "channel", "chanal"], ["no 5", "flap bag", "coco"], (100, 10000), ["chance", "chapel", "canal"]),
    ("Ray-Ban", ["rayban"], ["ray ben", "raybon"], ["wayfarer", "aviator", "sunglasses"], (100, 400), ["ray bradbury", "rayon"]),
    ("Prada", [], ["prda", "pradaa", "parda"], ["saffiano", "re nylon"], (400, 5000), ["prado", "panda", "parade"]),
    ("Lego", [], ["leggo", "lgeo"], ["technic", "minifigure", "bricks"], (10, 800), ["logo", "leg", "legal"]),
    ("Canon", [], ["cannon", "canin"], ["eos", "lens", "powershot"], (150, 4000), ["canoe", "canyon", "cannoli"]),
]
FILLER = ["new", "original", "authentic", "sale", "free shipping", "limited", "edition", "men", "women", "vintage",
          "black", "white", "gold", "size 42", "2024", "best price", "gift", "genuine", "hot", "fast delivery",
          "with box", "used", "like new", "warranty"]
PRODUCTS = ["kitchen knife set", "garden hose 20m", "wooden chair", "usb cable", "yoga mat", "coffee beans 1kg",
            "led desk lamp", "phone stand", "cotton t-shirt", "baby stroller", "board game", "wall clock",
            "hiking backpack", "bluetooth speaker", "dog leash", "ceramic mug", "bed sheets", "office chair",
            "water bottle", "running shorts", "maple syrup", "leather wallet", "winter jacket", "sunglasses case"]
OTHER_BRANDS = ["Ikea", "Sony", "Bosch", "Levis", "Philips", "Tefal", "Decathlon", "Xiaomi", "Asus", "Braun"]
FRAUD = ["replica", "1:1", "aaa quality", "mirror quality", "super copy", "inspired by", "dupe", "fake", "knockoff"]
HOMOGLYPHS = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "y": "у", "x": "х", "i": "і", "s": "ѕ", "j": "ј",
              "A": "А", "E": "Е", "O": "О", "P": "Р", "C": "С", "T": "Т", "H": "Н", "K": "К", "M": "М", "B": "В",
              "N": "Ν", "Z": "Ζ", "X": "Χ"}
LEET = {"o": "0", "l": "1", "e": "3", "a": "@", "s": "$", "i": "1", "t": "7"}
GENERIC_DESCRIPTIONS = ["Great condition, ships within two days.", "Message me for more photos.",
                        "Perfect gift for any occasion.", "Fast shipping from our warehouse.",
                        "High quality materials, satisfaction guaranteed.", ""]


def typo(rng, word, edits):
    letters = "abcdefghijklmnopqrstuvwxyz"
    w = list(word)
    for _ in range(edits):
        if len(w) < 2:
            break
        i = rng.randrange(len(w))
        kind = rng.choice(["swap", "delete", "insert", "substitute"])
        if kind == "swap" and i + 1 < len(w):
            w[i], w[i + 1] = w[i + 1], w[i]
        elif kind == "delete":
            del w[i]
        elif kind == "insert":
            w.insert(i, rng.choice(letters))
        else:
            w[i] = rng.choice(letters)
    return "".join(w)


def variant(rng, brand):
    name = rng.choice([brand[0]] + brand[1])
    kind = rng.random()
    if kind < 0.25:
        return name
    if kind < 0.35:
        return rng.choice([name.upper(), name.lower()])
    if kind < 0.50:
        return "".join(HOMOGLYPHS.get(c, c) if rng.random() < 0.6 else c for c in name)
    if kind < 0.65:
        return "".join(LEET.get(c.lower(), c) if rng.random() < 0.5 else c for c in name)
    if kind < 0.80:
        return rng.choice(brand[2])
    if kind < 0.92:
        return typo(rng, name.lower(), 1)
    return " ".join(name) if len(name) < 7 and rng.random() < 0.5 else name.replace(" ", "")


def words(rng, pool, k):
    return rng.sample(pool, k)


def seller(rng, risky):
    if rng.random() < 0.2:
        return None
    s = {"id": "s%d" % rng.randrange(10**6)}
    if risky and rng.random() < 0.6:
        s["account_age_days"] = rng.randint(1, 120)
    else:
        s["account_age_days"] = rng.randint(60, 4000)
    s["rating"] = round(rng.uniform(2.8, 5.0) if risky else rng.uniform(3.8, 5.0), 1)
    s["prior_infringements"] = (rng.randint(1, 4) if rng.random() < 0.4 else 0) if risky else (1 if rng.random() < 0.04 else 0)
    return s


def positive(rng, brand):
    lo, hi = brand[4]
    title = words(rng, FILLER, rng.randint(1, 3))
    if rng.random() < 0.9:
        title.insert(rng.randrange(len(title) + 1), variant(rng, brand))
    if rng.random() < 0.6:
        title.append(rng.choice(brand[3]))
    if rng.random() < 0.35:
        title.insert(rng.randrange(len(title) + 1), rng.choice(FRAUD))
    if rng.random() < 0.05:
        title.insert(0, rng.choice(["charger for", "case for", "compatible with"]))
    description = rng.choice(GENERIC_DESCRIPTIONS)
    if rng.random() < 0.7:
        description = "Genuine %s %s. %s" % (variant(rng, brand), rng.choice(brand[3]), description)
    if rng.random() < 0.2:
        description += " " + rng.choice(FRAUD)
    listing = {"title": " ".join(title), "description": description}
    if rng.random() < 0.9:
        listing["price"] = round(lo * rng.uniform(0.05, 0.6) if rng.random() < 0.6 else rng.uniform(lo, hi), 2)
        listing["currency"] = "USD" if rng.random() < 0.9 else "EUR"
    s = seller(rng, risky=rng.random() < 0.5)
    if s:
        listing["seller"] = s
    if rng.random() < 0.6:
        similar = rng.random() < 0.85
        if rng.random() < 0.5:
            listing["image"] = {"similarity": round(rng.uniform(0.8, 1.0) if similar else rng.uniform(0.4, 0.7), 3)}
        else:
            listing["image"] = {"hamming_distance": rng.randint(0, 12) if similar else rng.randint(20, 38), "bits": 64}
    return listing


def negative(rng, brand):
    lo, hi = brand[4]
    kind = rng.random()
    title = words(rng, FILLER, rng.randint(0, 2))
    description = rng.choice(GENERIC_DESCRIPTIONS)
    price = rng.uniform(5, 300)
    if kind < 0.5:  # unrelated
        title.insert(0, rng.choice(PRODUCTS))
        if rng.random() < 0.4:
            title.insert(0, rng.choice(OTHER_BRANDS))
    elif kind < 0.75:  # near-miss words
        near = rng.choice(brand[5]) if rng.random() < 0.6 else typo(rng, brand[0].lower(), rng.randint(2, 3))
        title.insert(rng.randrange(len(title) + 1), near)
        title.append(rng.choice(PRODUCTS))
    else:  # accessories that name the brand legitimately
        title = [rng.choice(["case for", "charger for", "screen protector for", "strap for", "stand for",
                             "cleaning kit for", "replacement battery for", "cover compatible with"]),
                 rng.choice([brand[0]] + brand[1]), rng.choice(brand[3])] + title
        description = "Compatible with %s. Not affiliated with %s. %s" % (brand[0], brand[0], description)
        price = rng.uniform(3, 60)
    if rng.random() < 0.03:
        title.append(rng.choice(FRAUD))
    listing = {"title": " ".join(title), "description": description}
    if rng.random() < 0.9:
        listing["price"] = round(price, 2)
        listing["currency"] = "USD" if rng.random() < 0.9 else "EUR"
    s = seller(rng, risky=rng.random() < 0.15)
    if s:
        listing["seller"] = s
    if rng.random() < 0.6:
        listing["image"] = {"similarity": round(rng.uniform(0.3, 0.72), 3)}
    return listing


def brand_input(brand):
    name, aliases, misspellings, keywords, band, _ = brand
    return {"name": name, "aliases": aliases, "misspellings": misspellings, "keywords": keywords,
            "price_band": {"min": band[0], "max": band[1], "currency": "USD"}}


def examples(rng, n):
    out = []
    for _ in range(n):
        brand = rng.choice(BRANDS)
        label = 1 if rng.random() < 0.4 else 0
        listing = positive(rng, brand) if label else negative(rng, brand)
        out.append({"brand": brand_input(brand), "listing": listing, "label": label})
    return out


def features(binary, rows):
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n"
    result = subprocess.run([binary], input=text.encode(), capture_output=True, check=True)
    reader = csv.reader(io.StringIO(result.stdout.decode()))
    header = next(reader)
    data = [[float(v) for v in row] for row in reader]
    return header[1:], [row[1:] for row in data], [int(row[0]) for row in data]


def sigmoid(z):
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def solve(a, b):
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(n):
            if r != col:
                f = m[r][col] / m[col][col]
                for c in range(col, n + 1):
                    m[r][c] -= f * m[col][c]
    return [m[i][n] / m[i][i] for i in range(n)]


def fit(x, y, names):
    """Maximum penalised likelihood with each coefficient's sign constrained (SIGNS; evidence for infringement
    by default): a coefficient that comes out with the wrong sign is fixed at 0 and the rest refitted."""
    fixed = set()
    sign = [1.0] + [SIGNS.get(n, 1) for n in names]
    while True:
        w = fit_free(x, y, fixed)
        wrong = [i for i in range(1, len(w)) if w[i] * sign[i] < 0 and i not in fixed]
        if not wrong:
            return w, fixed
        fixed.add(min(wrong, key=lambda i: w[i] * sign[i]))


def fit_free(x, y, fixed):
    k = len(x[0]) + 1
    w = [0.0] * k
    for _ in range(50):
        grad = [0.0] * k
        hess = [[0.0] * k for _ in range(k)]
        for xi, yi in zip(x, y):
            row = [1.0] + xi
            p = sigmoid(sum(a * b for a, b in zip(w, row)))
            for i in range(k):
                grad[i] += (p - yi) * row[i]
                for j in range(k):
                    hess[i][j] += p * (1 - p) * row[i] * row[j]
        for i in range(1, k):
            grad[i] += L2 * w[i]
            hess[i][i] += L2
        for i in fixed:
            grad[i] = 0.0
            hess[i] = [0.0] * k
            for r in range(k):
                hess[r][i] = 0.0
            hess[i][i] = 1.0
        step = solve(hess, grad)
        w = [a - b for a, b in zip(w, step)]
        if max(abs(s) for s in step) < 1e-10:
            break
    return w


def predict(w, x):
    return [sigmoid(w[0] + sum(a * b for a, b in zip(w[1:], xi))) for xi in x]


def auc(p, y):
    pos = [a for a, b in zip(p, y) if b]
    neg = [a for a, b in zip(p, y) if not b]
    wins = sum((1.0 if a > b else 0.5 if a == b else 0.0) for a in pos for b in neg)
    return wins / (len(pos) * len(neg))


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/modules/scoring/tyto_scoring_features"
    rng = random.Random(SEED)
    train = examples(rng, N_TRAIN)
    test = examples(rng, N_TEST)
    names, x_train, y_train = features(binary, train)
    _, x_test, y_test = features(binary, test)
    w, fixed = fit(x_train, y_train, names)
    p = predict(w, x_test)
    eps = 1e-12
    log_loss = -sum(b * math.log(max(a, eps)) + (1 - b) * math.log(max(1 - a, eps)) for a, b in zip(p, y_test)) / len(p)
    brier = sum((a - b) ** 2 for a, b in zip(p, y_test)) / len(p)
    accuracy = sum((a >= 0.5) == bool(b) for a, b in zip(p, y_test)) / len(p)
    print("// coefficients.hpp")
    print("inline constexpr double kIntercept = %.4f;" % w[0])
    for name, c in zip(names, w[1:]):
        print("    %s: %.4f" % (name, c))
    print()
    print("| signal | coefficient | mean (train, label 1) | mean (train, label 0) |")
    print("|---|---|---|---|")
    print("| (intercept) | %.4f | | |" % w[0])
    for i, (name, c) in enumerate(zip(names, w[1:])):
        m1 = sum(r[i] for r, b in zip(x_train, y_train) if b) / sum(y_train)
        m0 = sum(r[i] for r, b in zip(x_train, y_train) if not b) / (len(y_train) - sum(y_train))
        print("| `%s` | %.4f | %.3f | %.3f |" % (name, c, m1, m0))
    print()
    print("held out (%d listings, %d infringing): log loss %.4f, Brier %.4f, AUC %.4f, accuracy at 0.5 %.4f" %
          (len(y_test), sum(y_test), log_loss, brier, auc(p, y_test), accuracy))
    print()
    print("| predicted | listings | mean predicted | observed rate |")
    print("|---|---|---|---|")
    for b in range(10):
        lo, hi = b / 10, (b + 1) / 10
        idx = [i for i, a in enumerate(p) if lo <= a < hi or (b == 9 and a == 1.0)]
        if idx:
            print("| %.1f–%.1f | %d | %.3f | %.3f |" % (lo, hi, len(idx), sum(p[i] for i in idx) / len(idx),
                                                     sum(y_test[i] for i in idx) / len(idx)))
    for i in sorted(fixed):
        print("constrained to 0 (came out with the wrong sign): %s" % names[i - 1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
