"""惠企 huiqi — industrial-support policy as code.

Layers, each importing only those below it: ``policy`` (the law as code) → ``engine`` (generic
machinery that compiles measures to column expressions and explains results) → ``facts`` (what
an applicant brings) → interfaces (``cli``).
"""

__version__ = "0.1.0"
