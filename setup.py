"""Where the files go in the wheel; everything else about the package is in pyproject.toml.

The bundled ``content/`` and ``prompts/`` stay top-level folders of the repository. The build
maps them into the package as ``bot/_bundled/content`` and ``bot/_bundled/prompts``, so an
installed wheel or sdist finds them through the package from any working directory
(``bot.config.BUNDLED_ROOT``). A checkout has no ``bot/_bundled``: there the repository's own
folders are read, so an editable install picks up edits at once.
"""

from setuptools import find_namespace_packages, find_packages, setup

BUNDLED = {"bot._bundled.content": "content", "bot._bundled.prompts": "prompts"}
DATA_PACKAGES = [
    *BUNDLED,
    *(f"{package}.{sub}" for package, folder in BUNDLED.items()
      for sub in find_namespace_packages(where=folder)),  # content/examples, ...
]

setup(
    packages=[*find_packages(include=["bot", "bot.*"]), *DATA_PACKAGES],
    package_dir=BUNDLED,
    package_data={"bot.storage": ["migrations/*.sql"],
                  **{package: ["*.yaml"] for package in DATA_PACKAGES}},
)
