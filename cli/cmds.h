/*
 * cmds.h — every subcommand's entry point; one file per command (cmd_*.c),
 * dispatched from the table in main.c.
 */
#ifndef SADASYA_CMDS_H
#define SADASYA_CMDS_H

#include "cli.h"

int cmd_init(cli *c, int argc, char **argv);
int cmd_id(cli *c, int argc, char **argv);
int cmd_roster(cli *c, int argc, char **argv);
int cmd_register(cli *c, int argc, char **argv);
int cmd_import(cli *c, int argc, char **argv);
int cmd_show(cli *c, int argc, char **argv);
int cmd_list(cli *c, int argc, char **argv);
int cmd_search(cli *c, int argc, char **argv);
int cmd_update(cli *c, int argc, char **argv);
int cmd_status(cli *c, int argc, char **argv);
int cmd_stats(cli *c, int argc, char **argv);
int cmd_export(cli *c, int argc, char **argv);
int cmd_verify(cli *c, int argc, char **argv);
int cmd_log(cli *c, int argc, char **argv);
int cmd_bundle(cli *c, int argc, char **argv);
int cmd_sync_status(cli *c, int argc, char **argv);
int cmd_peers(cli *c, int argc, char **argv);
int cmd_card(cli *c, int argc, char **argv);
int cmd_cards(cli *c, int argc, char **argv);
int cmd_card_verify(cli *c, int argc, char **argv);
int cmd_backup(cli *c, int argc, char **argv);
int cmd_restore(cli *c, int argc, char **argv);
int cmd_officer(cli *c, int argc, char **argv);
int cmd_officers(cli *c, int argc, char **argv);
int cmd_event(cli *c, int argc, char **argv);
int cmd_events(cli *c, int argc, char **argv);
int cmd_inactive(cli *c, int argc, char **argv);
int cmd_campaign(cli *c, int argc, char **argv);
int cmd_honour(cli *c, int argc, char **argv);
int cmd_honours(cli *c, int argc, char **argv);
int cmd_notice(cli *c, int argc, char **argv);
int cmd_notices(cli *c, int argc, char **argv);
int cmd_enterprise(cli *c, int argc, char **argv);
int cmd_directory(cli *c, int argc, char **argv);
int cmd_erase(cli *c, int argc, char **argv);
int cmd_rules(cli *c, int argc, char **argv);
int cmd_audit(cli *c, int argc, char **argv);
int cmd_report(cli *c, int argc, char **argv);

#endif
