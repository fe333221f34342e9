from setuptools import Extension, setup

setup(
    name="yamlver",
    version="0.1.0",
    packages=["yamlver"],
    ext_modules=[Extension("yamlver._libyaml", ["yamlver/_libyaml.c"], libraries=["yaml"])],
    install_requires=["flask>=3"],
    entry_points={"console_scripts": ["yamlver=yamlver.app:main"]},
)
