// Translation unit that owns the precompiled header shared by the project's
// programs. It defines nothing.
