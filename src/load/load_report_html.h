/* load_report_html.h - the HTML report's template, built into the program.
 *
 * load_report_html.c pulls src/load/report.html into .rodata with the
 * assembler's .incbin (NUL-terminated), so bardo-load needs no file at run
 * time. The template holds one marker, the JavaScript comment "@DATA@"
 * between slash-star and star-slash, where the summary JSON goes. */
#ifndef BARDO_LOAD_REPORT_HTML_H
#define BARDO_LOAD_REPORT_HTML_H

extern const char loadReportTemplate[];

#endif
