"""A realistic diary, for trying the app, the benchmarks, the load test and the tests: the demo
story as data (story.py, told in the parts of parts.py), its photos (drawings.py), and the one
builder that writes a story through the app's services (builder.py: `build_demo`).

It lives in `witnesses` because the story has contacts in it; `diary` never imports `witnesses`.
"""
