/* Names inside the packaging patients upload (archives, CD folders): which are system files to
 * leave out, which are unsafe. Pure functions, shared by intake and its fuzz target. */
#ifndef SECONDOP_DICOM_PACKAGING_H
#define SECONDOP_DICOM_PACKAGING_H

/* True for the files operating systems leave in folders and archives: Mac resource forks and
 * folder data (a __MACOSX/ folder, ._* files, .DS_Store), Windows thumbnails and folder
 * settings (Thumbs.db, desktop.ini; any case). name is a '/'-separated path. */
int packaging_system_file(const char *name);

/* True when an archive entry name is unsafe to use as a path: empty, absolute, a ".."
 * component, or a backslash. NULL is unsafe. */
int packaging_unsafe_name(const char *name);

#endif
