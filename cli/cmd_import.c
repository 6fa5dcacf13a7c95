/* cmd_import.c — placeholder while the command is being written this session. */
#include "cmds.h"
int cmd_import(cli *c, int argc, char **argv)
{
    (void)c; (void)argc; (void)argv;
    return cli_errorf("import: not built yet");
}
