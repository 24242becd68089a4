"""Small dataset zips for the import tests (households in a seeded village, their members,
one medical feed row)."""

from __future__ import annotations

import io
import zipfile

from povguard.households.idnumber import check_char
from tests.web import factories


def id_number(serial: int, birth: str = "19800101") -> str:
    body = f"530129{birth}{serial:03d}"
    return body + check_char(body)


def dataset_files(village: str = factories.VILLAGE_A1, *, bad_date: bool = False) -> dict[str, str]:
    head, child = id_number(901), id_number(902, "20100315")
    return {
        "households.csv": (
            "household_id,village_code,head_id_number,address,phone,status,exit_year,relocated,"
            "registered_on\n"
            f"H900001,{village},{head},某村1号,13800000000,ordinary,,false,2020-01-01\n"
        ),
        "members.csv": (
            "member_id,household_id,id_number,name,sex,birth_date,relation,labour,health,"
            "in_household\n"
            f"M900001,H900001,{head},陈一,M,1980-01-01,head,full,healthy,true\n"
            f"M900002,H900001,{child},陈二,F,2010-03-15,child,none,healthy,true\n"
        ),
        "feeds/medical.csv": (
            "record_id,id_number,date,total_cost,reimbursed,out_of_pocket\n"
            f"MED1,{head},{'2024-02-30' if bad_date else '2024-02-03'},1000.00,600.00,400.00\n"
        ),
    }


def zipped(files: dict[str, str | bytes], *, folder: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(folder + name, text)
    return buffer.getvalue()
