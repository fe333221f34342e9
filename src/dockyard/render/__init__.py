"""Rendering of dockyard's generated files, and the safe writer that puts them into a project.

Renderers return text; :mod:`dockyard.render.writer` adds the generated-by header, refuses to overwrite
hand edits and writes atomically.
"""
