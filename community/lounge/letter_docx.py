"""A letter as an editable Word document (python-docx): A4, 2.5 cm margins, Arial 12 pt, one Word paragraph per
letter paragraph with its lines kept as line breaks. Plain text only (no images, no fields), so it opens and edits
anywhere."""

import re
from io import BytesIO

from docx import Document
from docx.shared import Cm, Mm, Pt

# XML refuses these (they are cleaned on save; this keeps an old or odd value from breaking a download).
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def letter_document(title: str, paragraphs: list[list[str]]) -> bytes:
    """The .docx file's bytes for a letter's paragraphs (each a list of lines)."""
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.top_margin = section.bottom_margin = Cm(2.5)
    section.left_margin = section.right_margin = Cm(2.5)
    style = document.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(12)
    style.paragraph_format.space_after = Pt(12)
    style.paragraph_format.line_spacing = 1.15
    document.core_properties.title = _NOT_IN_XML.sub("", title)
    document.core_properties.author = ""
    for lines in paragraphs:
        paragraph = document.add_paragraph()
        for number, line in enumerate(lines):
            run = paragraph.add_run(_NOT_IN_XML.sub("", line))
            if number < len(lines) - 1:
                run.add_break()
    out = BytesIO()
    document.save(out)
    return out.getvalue()
