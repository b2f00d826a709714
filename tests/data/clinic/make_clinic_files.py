"""Write the clinic-spreadsheet corpus in this folder: one file per situation.

Every file is synthetic (made-up hospital numbers and names, never a real
patient). Rerun from the repository root to regenerate them::

    python tests/data/clinic/make_clinic_files.py

It needs pandas and openpyxl, and for the two legacy files xlwt (Excel
97-2003 .xls) and msoffcrypto-tool (a password-protected .xlsx); install
those in a throwaway virtual environment, they are not dependencies of the
project. What each file holds and what loading it must give is in
tests/test_clinic_files.py.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
NAMES = ["Ann Able", "Ben Baker", "Cara Cole", "Dev Dunn", "Eve Eady", "Finn Ford"]


def visits(i: int) -> list[int]:
    """NRS at baseline, 6 weeks, 3, 6 and 12 months: relief that wanes."""
    base = 7 + i % 3
    return [base, 2 + i % 2, 3 + i % 3, 5 + i % 2, base - 1]


def title_notes_blank() -> None:
    """A CSV with a title, a note and blank rows above the header."""
    rows = [
        "Knee genicular RFA audit 2024,,,,,",
        '"Scores are NRS 0-10, DNA = did not attend",,,,,',
        ",,,,,",
        ",,,,,",
        "patient_id,procedure_date,joint,side,days_after,score",
    ]
    for i in range(6):
        for day, score in zip((-3, 42, 91), visits(i)[:3], strict=False):
            rows.append(f"H{100 + i},2024-0{1 + i % 6}-10,knee,left,{day},{score}")
    (HERE / "title_notes_blank.csv").write_text("\n".join(rows) + "\n")


def two_row_header() -> None:
    """Merged group cells over the names, summary rows under the data, and other sheets."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Lists"
    for v in ("knee", "hip", "shoulder"):
        ws.append([v])
    ws = wb.create_sheet("Follow-up")
    ws.append(["Genicular nerve RFA: follow-up"])
    ws.append([])
    ws.append(["Patient", None, "Procedure", None, None, "Pain score (NRS 0-10)"])
    ws.merge_cells("A3:B3")
    ws.merge_cells("C3:E3")
    ws.merge_cells("F3:I3")
    ws.append(["patient_id", "sex", "procedure_date", "joint", "side", "nrs_baseline",
               "nrs_6w", "nrs_3m", "nrs_6m"])  # fmt: skip
    for i in range(8):
        v = visits(i)
        ws.append([f"H{200 + i}", "F" if i % 2 else "M", dt.date(2023, 3 + i % 6, 5),
                   "knee", "right" if i % 2 else "left", *v[:4]])  # fmt: skip
    ws.append([])
    ws.append(["Mean", None, None, None, None, 7.9, 2.5, 4.0, 5.5])
    ws.append(["n = 8"])
    ws.append(["Checked by the audit lead, 12/03/2024"])
    summary = wb.create_sheet("Summary")
    summary.append(["Responders at 3 months", 5])
    wb.save(HERE / "two_row_header.xlsx")


def european_csv() -> None:
    """Semicolon-separated, decimal comma, dotted day-first dates, Windows-1252."""
    rows = ["patient_id;procedure_date;joint;side;assessment_date;score;occupation"]
    for i in range(6):
        day = 9 + i
        rows.append(f"E{i};0{1 + i % 3}.02.2023;knee;left;{day:02d}.01.2023;7,5;Café owner")
        rows.append(f"E{i};0{1 + i % 3}.02.2023;knee;left;{day:02d}.05.2023;3,0;Café owner")
    (HERE / "european.csv").write_bytes(("\n".join(rows) + "\n").encode("cp1252"))


def free_text_notes() -> None:
    """A free-text Notes column whose values repeat across a procedure's rows."""
    rows = ["patient_id,procedure_date,joint,side,days_after,score,notes"]
    notes = [
        "Café owner, walks the dog daily",
        "Retired teacher; wants to garden",
        "Plays golf twice a week",
        "Lives alone, daughter drives",
        "Night shifts at the depot",
        "Swims, knee sore on stairs",
        "Keen cyclist",
        "Carer for husband",
        "Long drive to clinic",
        "Needs interpreter",
        "Anxious about needles",
        "Had steroid injection 2022",
        "Previous arthroscopy",
        "Works from home",
    ]
    for i, note in enumerate(notes):
        for day, score in zip((-3, 42, 91), visits(i)[:3], strict=False):
            rows.append(f'N{i},2024-02-{1 + i:02d},knee,left,{day},{score},"{note}"')
    (HERE / "free_text_notes.csv").write_text("\n".join(rows) + "\n")


def header_only_and_empty() -> None:
    (HERE / "header_only.csv").write_text("patient_id,procedure_date,days_after,score\n")
    (HERE / "empty.csv").write_bytes(b"")


def html_as_xls() -> None:
    """An EPR's HTML table saved with an .xls name."""
    cells = "".join(
        f"<tr><td>R{i}</td><td>2024-03-0{1 + i}</td><td>knee</td><td>left</td>"
        f"<td>{d}</td><td>{s}</td></tr>"
        for i in range(5)
        for d, s in zip((-2, 42, 91), visits(i)[:3], strict=False)
    )
    html = (
        "<html><head><meta charset='utf-8'><title>EPR export</title></head><body>"
        "<p>Exported from the electronic patient record</p><table border=1>"
        "<tr><th>patient_id</th><th>procedure_date</th><th>joint</th><th>side</th>"
        f"<th>days_after</th><th>score</th></tr>{cells}</table></body></html>"
    )
    (HERE / "epr_export.xls").write_text(html, encoding="utf-8")


def _xlsx_bytes() -> bytes:
    frame = pd.DataFrame(
        {
            "patient_id": ["X1", "X1", "X2", "X2"],
            "procedure_date": ["2024-01-05"] * 2 + ["2024-01-08"] * 2,
            "days_after": [-2, 91, -1, 91],
            "score": [8, 3, 7, 5],
        }
    )
    out = io.BytesIO()
    frame.to_excel(out, index=False)
    return out.getvalue()


def truncated_xlsx() -> None:
    data = _xlsx_bytes()
    (HERE / "truncated.xlsx").write_bytes(data[: len(data) // 2])


def encrypted_xlsx() -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(_xlsx_bytes())).encrypt("audit2024", out)
    (HERE / "password.xlsx").write_bytes(out.getvalue())


def old_excel() -> None:
    """Excel 97-2003 (.xls), as older clinic PCs save."""
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("Sheet1")
    header = ["patient_id", "procedure_date", "joint", "side", "days_after", "score"]
    for j, h in enumerate(header):
        ws.write(0, j, h)
    r = 1
    for i in range(5):
        for d, s in zip((-3, 42, 91), visits(i)[:3], strict=False):
            for j, v in enumerate([f"L{i}", "2023-11-20", "hip", "right", d, s]):
                ws.write(r, j, v)
            r += 1
    wb.save(str(HERE / "old_excel.xls"))


# Clinic names for `outcomes init` (tests/test_assistant.py): made-up hospital
# numbers, NHS-style numbers, names and dates of birth, never a real patient.
def uk_wide() -> None:
    """A UK wide sheet: hospital number, name, DOB, 6/52-style score columns, a bare 12/12."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Follow-up"
    ws.append(["Hospital No", "Patient Name", "DOB", "Date of RFA", "Target", "Side", "Type",
               "Age", "Referral source", "Pre-op NRS", "6/52 NRS", "3/12 NRS", "6/12 NRS",
               "12/12", "12 month VAS", "% improvement 6/52", "Date of repeat RFA"])  # fmt: skip
    for i in range(12):
        v = visits(i)
        rfa = dt.date(2023, 1 + i, 3 + 2 * i)  # days 3-25: some above 12, so day-first
        six_w = None if i == 4 else v[1]  # did not attend
        repeat = (rfa + dt.timedelta(days=300)).strftime("%d/%m/%Y") if i % 5 == 2 else None
        ws.append([f"H{100234 + 17 * i}", NAMES[i % 6], f"{1 + i:02d}/0{1 + i % 9}/19{50 + i}",
                   rfa.strftime("%d/%m/%Y"), "hip" if i % 4 == 3 else "knee", "LR"[i % 2],
                   "Cooled" if i % 3 else "Conventional", 55 + i, "GP" if i % 2 else "Ortho",
                   v[0], six_w, v[2], v[3], v[4], 10 * v[4] - 5,
                   None if six_w is None else f"{round(100 * (v[0] - six_w) / v[0])}%",
                   repeat])  # fmt: skip
    wb.save(HERE / "uk_wide.xlsx")


def long_mrn() -> None:
    """A long CSV: MRN, name, D.O.B., a Visit column of 6/52 labels, Date seen, NRS."""
    rows = ["MRN,Name,D.O.B.,Date of procedure,Joint,Visit,Date seen,NRS,Comments"]
    for i in range(6):
        month, day = 1 + i, 1 + i % 4  # every date has a day of 12 or less: either order reads
        done = dt.date(2024, month, day)
        seen = {
            "Pre-op": done,
            "6/52": dt.date(2024, month + 1, day + 8),
            "3/12": dt.date(2024, month + 3, day + 3),
        }
        for (label, when), score in zip(seen.items(), visits(i)[:3], strict=True):
            nrs = "DNA" if (i, label) == (3, "6/52") else str(score)
            note = "walks daily" if label == "Pre-op" else ""
            rows.append(
                f"{4410200 + i},{NAMES[i]},{1 + i:02d}/0{2 + i}/196{i},{done:%d/%m/%Y},"
                f"{'shoulder' if i == 5 else 'knee'},{label},{when:%d/%m/%Y},{nrs},{note}"
            )
    (HERE / "long_mrn.csv").write_text("\n".join(rows) + "\n")


def uk_two_row_header() -> None:
    """Group cells over the names: Hosp No and NHS Number, visit labels under "Pain score"."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "RFA audit"
    ws.append(["Shoulder and knee RFA audit, pain clinic"])
    ws.append(["Patient", None, None, None, "Procedure", None, None, "Pain score (NRS 0-10)",
               None, None, None, "Outcome"])  # fmt: skip
    ws.merge_cells("A2:D2")
    ws.merge_cells("E2:G2")
    ws.merge_cells("H2:K2")
    ws.merge_cells("L2:M2")
    ws.append(["Hosp No", "Surname", "Forename", "NHS Number", "Date of procedure",
               "Joint", "Technique", "Pre-op", "6/52", "3/12", "1 yr", "Responder",
               "Date of TKR"])  # fmt: skip
    for i in range(8):
        v = visits(i)
        done = dt.date(2022, 2 + i, 10)
        ws.append([f"K{3300 + i}", NAMES[i % 6].split()[1], NAMES[i % 6].split()[0],
                   f"943 476 {5590 + i}", done, "shoulder" if i % 4 == 1 else "knee",
                   "Cooled RFA" if i % 2 else "Conventional RFA", *v[:3], v[4],
                   "Y" if v[2] <= v[0] / 2 else "N",
                   done + dt.timedelta(days=400) if i == 6 else None])  # fmt: skip
    ws.append(["Mean", None, None, None, None, None, None, 7.9, 2.5, 4.0, 7.0])
    wb.save(HERE / "uk_two_row_header.xlsx")


if __name__ == "__main__":
    for make in (
        title_notes_blank,
        two_row_header,
        european_csv,
        free_text_notes,
        header_only_and_empty,
        html_as_xls,
        truncated_xlsx,
        encrypted_xlsx,
        old_excel,
        uk_wide,
        long_mrn,
        uk_two_row_header,
    ):
        make()
    print("wrote", ", ".join(sorted(p.name for p in HERE.iterdir() if p.suffix != ".py")))
