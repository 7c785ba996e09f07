"""Robustness variants generated from a case: same gold, harder headers.

abbreviated   column names shortened the way old PMS exports do (`first_name` -> `fst_nm`)
renamed       column names swapped for synonyms (`email` -> `contact_mail`) and a vendor prefix
translated    names in a Spanish/German-style spelling (`birthdate` -> `fecha_nacimiento`)
nodesc        no table or column descriptions
novalues      no sample values (no value profiles)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace

from evals.runner import Case, GoldRow
from mapper.propose._text import tokens
from mapper.schema import Entity, Field, Schema

VARIANTS: tuple[str, ...] = ("abbreviated", "renamed", "translated", "nodesc", "novalues")

_ABBREV = {
    "first": "fst", "last": "lst", "name": "nm", "number": "no", "address": "adr", "street": "str", "phone": "ph",
    "date": "dt", "birth": "brth", "patient": "pt", "provider": "prv", "insurance": "ins", "description": "dsc",
    "amount": "amt", "appointment": "apt", "status": "st", "email": "eml", "mobile": "mob", "city": "cty",
    "state": "st", "zip": "zp", "code": "cd", "group": "grp", "type": "typ", "time": "tm", "note": "nt",
    "text": "txt", "treatment": "trt", "plan": "pln", "balance": "bal", "primary": "pri", "secondary": "sec",
    "visit": "vst", "created": "crt", "reason": "rsn", "length": "len", "carrier": "car", "relationship": "rel",
}
_SYNONYM = {
    "email": "contact_mail", "emailaddr": "mail_address", "pager": "beeper_no", "firstname": "given_name",
    "lastname": "family_name", "birthdate": "born_on", "zipcode": "post_code", "city": "town", "state": "region",
    "street1": "addr_line_a", "street2": "addr_line_b", "phone": "tel_no", "workphone": "office_tel",
    "status": "state_code", "gender": "sex_cd", "title": "honorific", "language": "spoken_lang",
    "amount": "value", "amt": "sum_value", "notetext": "note_body", "descript": "label_text", "name": "display_name",
}
_TRANSLATE = {
    "first": "nombre", "last": "apellido", "name": "nombre", "birth": "nacimiento", "date": "fecha",
    "phone": "telefono", "email": "correo", "address": "direccion", "street": "calle", "city": "ciudad",
    "state": "estado", "zip": "postal", "code": "codigo", "number": "numero", "patient": "paciente",
    "provider": "proveedor", "status": "estado", "note": "nota", "text": "texto", "amount": "importe",
    "appointment": "cita", "reason": "motivo", "insurance": "seguro", "group": "grupo", "gender": "genero",
    "language": "idioma", "work": "trabajo", "mobile": "movil", "description": "descripcion", "plan": "plan",
    "treatment": "tratamiento", "id": "id", "type": "tipo", "time": "hora", "length": "duracion",
}


def _stable_pick(text: str, n: int) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % n


def _abbreviate(name: str) -> str:
    toks = tokens(name)
    return "_".join(_ABBREV.get(t, t[:4] if len(t) > 5 else t) for t in toks) or name


def _rename(name: str) -> str:
    low = name.lower()
    if low in _SYNONYM:
        return _SYNONYM[low]
    prefix = ("fld_", "col_", "c_")[_stable_pick(name, 3)]
    return prefix + low


def _translate(name: str) -> str:
    toks = tokens(name)
    return "_".join(_TRANSLATE.get(t, t) for t in toks) or name


def _renamed_case(case: Case, fn: Callable[[str], str], variant: str) -> Case:
    mapping: dict[tuple[str, str], str] = {}
    entities = []
    for e in case.source.entities:
        used: set[str] = set()
        fields = []
        for f in e.fields:
            new = fn(f.name)
            while new in used:
                new += "_x"
            used.add(new)
            mapping[(e.name, f.name)] = new
            fields.append(replace(f, name=new))
        entities.append(replace(e, fields=tuple(fields)))
    gold = tuple(GoldRow(g.src_ent, mapping.get((g.src_ent, g.src_att), g.src_att), g.tgt_ent, g.tgt_att, g.kind)
                 for g in case.gold)
    return replace(case, source=Schema(case.source.system, tuple(entities)), gold=gold, variant=variant)


def _strip(case: Case, variant: str, field_fn: Callable[[Field], Field], entity_fn: Callable[[Entity], Entity]) -> Case:
    entities = tuple(entity_fn(replace(e, fields=tuple(field_fn(f) for f in e.fields))) for e in case.source.entities)
    return replace(case, source=Schema(case.source.system, entities), variant=variant)


def make_variant(case: Case, variant: str) -> Case:
    """One robustness variant of a case (gold renamed along with the source)."""
    if variant == "abbreviated":
        return _renamed_case(case, _abbreviate, variant)
    if variant == "renamed":
        return _renamed_case(case, _rename, variant)
    if variant == "translated":
        return _renamed_case(case, _translate, variant)
    if variant == "nodesc":
        return _strip(case, variant, lambda f: replace(f, description="", label=""), lambda e: replace(e, description="", label=""))
    if variant == "novalues":
        return _strip(case, variant, lambda f: replace(f, profile=None), lambda e: e)
    raise ValueError(f"unknown variant {variant}")


def variants_of(case: Case) -> list[Case]:
    """Every variant of a case, in VARIANTS order."""
    return [make_variant(case, v) for v in VARIANTS]
