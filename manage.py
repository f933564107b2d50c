#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    from project.umask import owner_only

    owner_only()  # before anything can create a file
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
