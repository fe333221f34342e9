from setuptools import find_packages, setup

setup(
    name="wordcount",
    version="1.2.0",
    description="Count words, lines and characters in text files",
    packages=find_packages(exclude=["tests"]),
    install_requires=["click>=8.1", "requests>=2.31", "rich>=13", "PyYAML>=6"],
    extras_require={"test": ["pytest"]},
    entry_points={"console_scripts": ["wordcount=wordcount.cli:main"]},
    python_requires=">=3.9",
)
