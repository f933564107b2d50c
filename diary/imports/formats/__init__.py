"""Readers of the exports phones and mailboxes make (issue 19): each turns one file into the
messages and calls it holds, as `Message`s, read as a stream and never whole into memory.
They know nothing of diaries: the import feature (diary/imports/) decides what becomes an
entry. Every reader takes the same arguments and raises `ImportProblem` with words for the
owner (and the line, for a text export) when the file is not what it should be."""
