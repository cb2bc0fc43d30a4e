#!/usr/bin/env python3
"""SEA concepts (Street & Kim, KDD 2001): three features uniform on [0, 10]; the label is 1
when x1 + x2 <= theta; x3 is noise. Four concepts of 15,000 rows each, theta = 8, 9, 7, 9.5,
so the true drift points are rows 15000, 30000 and 45000; 10% of the labels are flipped.
Seeded: running this again writes the same file."""
import csv, gzip, io, random
rng = random.Random(20011026)
thetas = [8.0, 9.0, 7.0, 9.5]
with gzip.GzipFile("sea.csv.gz", "wb", mtime=0) as raw, io.TextIOWrapper(raw, newline="") as f:
    w = csv.writer(f)
    w.writerow(["x1", "x2", "x3", "y"])
    for concept, theta in enumerate(thetas):
        for _ in range(15000):
            x = [round(rng.uniform(0, 10), 4) for _ in range(3)]
            y = int(x[0] + x[1] <= theta)
            if rng.random() < 0.1:
                y = 1 - y
            w.writerow(x + [y])
