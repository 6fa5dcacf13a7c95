/*
 * notify.h — a local write nudging the running node (if any) so that the
 * new entries go out to peers at once instead of at the next poll.
 * The node binds a ZeroMQ PULL socket at ipc://DIR/node.sock.
 */
#ifndef SADASYA_NOTIFY_H
#define SADASYA_NOTIFY_H

#define NOTIFY_SOCKET "node.sock"

/* Best effort and quick: does nothing when no node listens in dir. */
void notify_node(const char *dir);

#endif
