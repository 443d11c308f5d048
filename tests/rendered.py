"""What a person sees in a generated PDF: each page rendered to PNG by pdftoppm, then read back by tesseract.

Text extraction alone would pass a PDF whose text is present but drawn off the page or in white; OCR of the
rendered page only finds what is really visible."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(
            f"{name} is missing: .ci/run installs it (apt-get install poppler-utils tesseract-ocr)"
        )
    return path


def pdf_pages_as_png(pdf: bytes, folder: Path, resolution: int = 150) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "document.pdf"
    source.write_bytes(pdf)
    subprocess.run([_tool("pdftoppm"), "-r", str(resolution), "-png", source, folder / "page"], check=True)
    return sorted(folder.glob("page*.png"))


def visible_text(pdf: bytes, folder: Path) -> str:
    """The text on every page, as OCR reads the rendered PNGs, with whitespace collapsed."""
    out = []
    for png in pdf_pages_as_png(pdf, folder):
        result = subprocess.run(
            [_tool("tesseract"), png, "-", "--psm", "3"], check=True, capture_output=True, text=True
        )
        out.append(result.stdout)
    return " ".join(" ".join(out).split())
