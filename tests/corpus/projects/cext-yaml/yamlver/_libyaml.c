#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <yaml.h>

static PyObject *version(PyObject *self, PyObject *args) {
    return PyUnicode_FromString(yaml_get_version_string());
}

static PyObject *count_events(PyObject *self, PyObject *args) {
    const char *text;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "s#", &text, &size)) return NULL;
    yaml_parser_t parser;
    yaml_event_t event;
    long n = 0;
    int done = 0;
    if (!yaml_parser_initialize(&parser)) return PyErr_NoMemory();
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, (size_t)size);
    while (!done) {
        if (!yaml_parser_parse(&parser, &event)) {
            yaml_parser_delete(&parser);
            PyErr_SetString(PyExc_ValueError, "invalid YAML");
            return NULL;
        }
        done = (event.type == YAML_STREAM_END_EVENT);
        yaml_event_delete(&event);
        n++;
    }
    yaml_parser_delete(&parser);
    return PyLong_FromLong(n);
}

static PyMethodDef methods[] = {
    {"version", version, METH_NOARGS, "libyaml version string"},
    {"count_events", count_events, METH_VARARGS, "number of parser events in a YAML text"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_libyaml", NULL, -1, methods};

PyMODINIT_FUNC PyInit__libyaml(void) { return PyModule_Create(&module); }
