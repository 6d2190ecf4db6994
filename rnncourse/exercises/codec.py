"""JSON encoding of the values that travel between the grader and a learner's kernel.

Test cases go into the kernel and answers come back as JSON text: NumPy arrays and scalars, pandas
DataFrames and Series, plain scalars and containers. `encode` runs wherever a value starts; `decode` reads
untrusted text: it accepts only the shapes `encode` writes and builds nothing but arrays, scalars,
containers and (for answers) a `DecodedPandas` record, so a crafted answer cannot make the grader run code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["DecodedPandas", "MAX_DEPTH", "decode", "encode"]

#: Deepest nesting accepted in either direction.
MAX_DEPTH = 20


def _encode_array(value: np.ndarray, depth: int) -> dict:
    if value.dtype.kind in "biufM":
        data = value.astype("int64") if value.dtype.kind == "M" else value
        flat = [None if isinstance(v, float) and math.isnan(v) else v for v in data.ravel().tolist()]
        return {"__np__": {"dtype": str(value.dtype), "shape": list(value.shape), "data": flat}}
    if value.dtype.kind in "OU":
        return {"__list__": [encode(v, depth + 1) for v in value.tolist()], "from": "ndarray"}
    raise ValueError(f"cannot encode an array of dtype {value.dtype}")


def _encode_pandas(value: Any, depth: int) -> dict:
    index = np.asarray(value.index)
    if index.dtype.kind not in "biufM":
        index = np.asarray([str(v) for v in index], dtype=object)
    out = {"__pandas__": type(value).__name__, "index": encode(index, depth + 1)}
    if hasattr(value, "columns"):  # column by column, so that each keeps its dtype
        out["columns"] = [str(c) for c in value.columns]
        out["column_values"] = [encode(value.iloc[:, i].to_numpy(), depth + 1) for i in range(value.shape[1])]
    else:
        out["name"] = None if value.name is None else str(value.name)
        out["values"] = encode(value.to_numpy(), depth + 1)
    return out


def encode(value: Any, depth: int = 0) -> Any:
    """A JSON-ready form of `value`; raises `ValueError` for a type it does not know.

    Example:
        >>> encode((np.arange(2), 1.5))["__list__"][1]
        1.5
    """
    if depth > MAX_DEPTH:
        raise ValueError("the value is nested too deeply")
    if value is None or isinstance(value, bool | str | int | float):
        return value
    if isinstance(value, np.generic):
        return {"__np__": _encode_array(np.asarray(value), depth)["__np__"], "scalar": True}
    if isinstance(value, np.ndarray):
        return _encode_array(value, depth)
    if isinstance(value, list | tuple):
        return {"__list__": [encode(v, depth + 1) for v in value], "from": type(value).__name__}
    if isinstance(value, dict):
        return {"__dict__": [[str(k), encode(v, depth + 1)] for k, v in value.items()]}
    if type(value).__module__.startswith("pandas"):
        import pandas as pd

        if isinstance(value, pd.DataFrame | pd.Series):
            return _encode_pandas(value, depth)
    if hasattr(value, "numpy") and callable(value.numpy):  # a TensorFlow / Keras tensor
        return encode(np.asarray(value.numpy()), depth + 1)
    raise ValueError(f"cannot encode a value of type {type(value).__name__}")


@dataclass
class DecodedPandas:
    """A decoded pandas object as the checks see it, without asking pandas to parse untrusted input."""

    kind: str
    index: np.ndarray
    values: np.ndarray
    columns: list[str] | None


def _decode_array(obj: dict) -> Any:
    spec = obj["__np__"]
    dtype = np.dtype(str(spec["dtype"]))
    if dtype.kind not in "biufM":
        raise ValueError(f"unexpected dtype {dtype}")
    shape = tuple(int(s) for s in spec["shape"])
    data = spec["data"]
    if not isinstance(data, list) or len(data) != int(np.prod(shape, dtype=np.int64)):
        raise ValueError("array data does not match its shape")
    if dtype.kind == "M":
        array = np.asarray(data, dtype="int64").astype(dtype).reshape(shape)
    elif dtype.kind == "f":
        array = np.asarray([np.nan if v is None else v for v in data], dtype=dtype).reshape(shape)
    else:
        array = np.asarray(data, dtype=dtype).reshape(shape)
    return array[()] if obj.get("scalar") else array


def _decode_pandas(obj: dict, depth: int, real_pandas: bool) -> Any:
    kind = str(obj["__pandas__"])
    index = np.asarray(decode(obj["index"], depth + 1))
    if kind == "DataFrame":
        columns = [str(c) for c in obj["columns"]]
        data = [np.asarray(decode(v, depth + 1)) for v in obj["column_values"]]
        if len(data) != len(columns) or any(d.shape != index.shape for d in data):
            raise ValueError("DataFrame columns do not match its index")
        if real_pandas:
            import pandas as pd

            return pd.DataFrame(dict(zip(columns, data, strict=True)), index=pd.Index(index))
        values = np.column_stack(data) if data else np.empty((len(index), 0))
        return DecodedPandas(kind, index, values, columns)
    values = np.asarray(decode(obj["values"], depth + 1))
    if real_pandas:
        import pandas as pd

        return pd.Series(values, index=pd.Index(index), name=obj.get("name"))
    return DecodedPandas(kind, index, values, None)


def decode(obj: Any, depth: int = 0, *, real_pandas: bool = False) -> Any:
    """The value `encode` encoded; raises `ValueError` on anything `encode` does not write.

    Args:
        obj: the parsed JSON (untrusted).
        depth: nesting depth so far (for the recursion). Default: 0.
        real_pandas: build real pandas objects (test cases in the kernel) rather than `DecodedPandas`
            records (answers in the grader). Default: False.

    Example:
        >>> decode(encode([np.float32(2.5), "a"]))
        [np.float32(2.5), 'a']
    """
    if depth > MAX_DEPTH + 5:
        raise ValueError("nested too deeply")
    if obj is None or isinstance(obj, bool | str | int | float):
        return obj
    if isinstance(obj, dict):
        if "__np__" in obj:
            return _decode_array(obj)
        if "__list__" in obj:
            items = [decode(v, depth + 1, real_pandas=real_pandas) for v in obj["__list__"]]
            if obj.get("from") == "tuple":
                return tuple(items)
            return np.asarray(items, dtype=object) if obj.get("from") == "ndarray" and real_pandas else items
        if "__dict__" in obj:
            return {str(k): decode(v, depth + 1, real_pandas=real_pandas) for k, v in obj["__dict__"]}
        if "__pandas__" in obj:
            return _decode_pandas(obj, depth, real_pandas)
        if "__error__" in obj:
            return obj
    raise ValueError("unrecognised value")
