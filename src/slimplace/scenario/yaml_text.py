"""YAML text of input files: reading UTF-8 text, parsing YAML, writing YAML.

The loader is PyYAML's safe loader plus two rules: YAML 1.2 exponent floats
(``1e-3``) are numbers, and a mapping with a duplicate key is an error. The
dumper writes no anchors and double-quotes strings YAML would read as line
breaks. Scenario files, job files and sweep specs all read their text here, so a
syntax error is reported the same way (file, line, column) whatever the file.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

import yaml

from slimplace.errors import InputError, Problem

#: YAML 1.2 floats (``1e-3``, ``3.4e6``), which PyYAML's YAML 1.1 rules read as strings.
_FLOAT_12 = re.compile(r"^[-+]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)[eE][-+]?\d+$")


class _Loader(yaml.SafeLoader):
    """Safe loader that also reads YAML 1.2 exponent floats and rejects duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            with contextlib.suppress(TypeError):
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        "while reading a mapping",
                        node.start_mark,
                        f"found duplicate key {key!r}",
                        key_node.start_mark,
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


class YamlDumper(yaml.SafeDumper):
    """Safe dumper without anchors that quotes strings the loader would read as floats."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


_YAML_BREAKS = frozenset("\x85\u2028\u2029")


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    """Double-quote (with escapes) strings holding characters YAML reads as line breaks."""
    style = '"' if any(ch in _YAML_BREAKS or not ch.isprintable() for ch in data) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


YamlDumper.add_representer(str, _represent_str)

for _cls in (_Loader, YamlDumper):
    _cls.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_12, list("-+0123456789."))


def read_yaml(text: str, file: str) -> Any:
    """The YAML document in ``text``; :class:`InputError` naming ``file`` with line and column."""
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown place"
        what = exc.problem or exc.context or "invalid YAML"
        start = exc.context_mark
        if exc.problem and exc.context and start is not None and start is not mark:
            what += f" ({exc.context} at line {start.line + 1})"
        raise InputError(file, [Problem("", f"YAML syntax error at {where}: {what}")]) from None
    except yaml.YAMLError as exc:
        raise InputError(file, [Problem("", f"YAML syntax error: {exc}")]) from None


def decode_text(raw: bytes, file: str) -> str:
    """``raw`` decoded as UTF-8 (a BOM allowed); :class:`InputError` naming the byte and line."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = (
            f"not UTF-8 text: byte 0x{raw[exc.start]:02x} on line {line} (save the file as UTF-8)"
        )
        raise InputError(file, [Problem("", message)]) from None


def read_text(path: str | Path) -> str:
    """A UTF-8 input file's text; :class:`InputError` naming the file if it cannot be read."""
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(file, [Problem("", f"cannot read the file: {exc.strerror}")]) from None
    return decode_text(raw, file)


def dump_yaml(document: Any) -> str:
    """``document`` as block-style YAML in key order that :func:`read_yaml` reads back equal."""
    return yaml.dump(
        document,
        Dumper=YamlDumper,
        sort_keys=False,
        default_flow_style=None,
        allow_unicode=True,
        width=4096,
    )


__all__ = ["YamlDumper", "decode_text", "dump_yaml", "read_text", "read_yaml"]
