/* cmd_bundle.c — placeholder while the command is being written this session. */
#include "cmds.h"
int cmd_bundle(cli *c, int argc, char **argv)
{
    (void)c; (void)argc; (void)argv;
    return cli_errorf("bundle: not built yet");
}
