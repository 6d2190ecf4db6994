"""The data files shipped with rnncourse (see README.md in this folder), installed as `rnncourse._data`.

This file only makes the folder a package: `pip install .` copies the files into the wheel as
`rnncourse/_data/`, and `rnncourse.datasets` finds them with `importlib.resources` in editable and regular
installs alike. The folder is not meant to be imported as a top-level `datasets` module.
"""

if __name__ != "rnncourse._data":
    # Python started in the repository's root folder finds this folder first when something imports a
    # package named `datasets`; say so rather than hand over an empty module.
    raise ImportError(
        f"{__file__} holds rnncourse's data files and is not the package {__name__!r}: it was found because "
        "Python runs in the rnncourse repository's root folder. Start Python in another folder to import "
        f"the package {__name__!r}."
    )
