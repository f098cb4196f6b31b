/* C twin of mailbox_user.py: a user-space program for the mailbox module
 * (build it with `cc -o mailbox_user mailbox_user.c`): leaves a message,
 * reads it back. It #includes the definitions mailbox.c #includes. */
#include <stdio.h>
#include <string.h>

#include "mailbox_defs.h"

int main(int argc, char **argv)
{
	const char *text = argc > 1 ? argv[1] : "hello";
	char reply[MAILBOX_SIZE];
	size_t n;
	FILE *f;

	if (strlen(text) + 1 > MAILBOX_SIZE - 1) {
		fprintf(stderr, "mailbox_user: at most %d characters\n", MAILBOX_SIZE - 2);
		return 1;
	}
	f = fopen(MAILBOX_PATH, "w");
	if (!f || fprintf(f, "%s\n", text) < 0 || fclose(f)) {
		perror(MAILBOX_PATH);
		return 1;
	}
	f = fopen(MAILBOX_PATH, "r");
	if (!f) {
		perror(MAILBOX_PATH);
		return 1;
	}
	n = fread(reply, 1, sizeof(reply) - 1, f);
	reply[n] = '\0';
	fclose(f);
	printf("mailbox says: %s", reply);
	return 0;
}
