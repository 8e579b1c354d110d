"""Draws Glassbox's icon: a glass box with a small decision tree inside.

    python make_icon.py

writes `glassbox.png` (256 × 256, the window's icon) and `glassbox.ico` (16 to 256 pixels, the
Windows `.exe`'s icon) beside this script. Needs Pillow (`pip install pillow`).
"""
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
S = 1024  # drawn large, then scaled down smoothly


def draw() -> Image.Image:
    img = Image.new("RGBA", (S, S), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    # The box: a rounded square of tinted glass with a bright rim.
    d.rounded_rectangle((64, 64, S - 64, S - 64), radius=150, fill=(26, 84, 140, 255))
    d.rounded_rectangle((64, 64, S - 64, S - 64), radius=150, outline=(132, 208, 255, 255), width=44)
    # The tree: a root, two children, four leaves, joined by branches.
    white, warm = (240, 248, 255, 255), (255, 150, 70, 255)
    root, kids = (S // 2, 300), [(330, 530), (S - 330, 530)]
    leaves = [(230, 760), (430, 760), (S - 430, 760), (S - 230, 760)]
    for a, b in [(root, kids[0]), (root, kids[1]), (kids[0], leaves[0]), (kids[0], leaves[1]),
                 (kids[1], leaves[2]), (kids[1], leaves[3])]:
        d.line([a, b], fill=white, width=34)
    for (x, y), r, c in [(root, 62, white)] + [(k, 56, white) for k in kids] + \
            [(l, 50, warm if i == 2 else white) for i, l in enumerate(leaves)]:
        d.ellipse((x - r, y - r, x + r, y + r), fill=c)
    return img


def main():
    img = draw()
    img.resize((256, 256), Image.LANCZOS).save(HERE / "glassbox.png")
    sizes = [(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]
    img.resize((256, 256), Image.LANCZOS).save(HERE / "glassbox.ico", sizes=sizes)
    print("wrote glassbox.png and glassbox.ico")


if __name__ == "__main__":
    main()
