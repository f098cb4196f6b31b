"""Which students to grade: each folder under students/ (or under --students DIR) holding a
counter.py. Every test taking `student` runs once per student, named after the folder."""

from pathlib import Path

HERE = Path(__file__).parent


def pytest_addoption(parser):
    parser.addoption("--students", default=str(HERE / "students"),
                     help="the folder of students' folders (default: students/ here)")


def pytest_generate_tests(metafunc):
    if "student" in metafunc.fixturenames:
        folder = Path(metafunc.config.getoption("--students"))
        files = sorted(folder.glob("*/counter.py"))
        metafunc.parametrize("student", files, ids=[f.parent.name for f in files])
