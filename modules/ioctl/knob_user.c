/* C twin of knob_user.py: a user-space program for the knob module (build it
 * with `cc -o knob_user knob_user.c`): turns the knob with ioctl(). It
 * #includes the definitions knob.c #includes.
 *   ./knob_user get          prints the position
 *   ./knob_user set 42       turns the knob to 42
 *   ./knob_user swap 7       turns it to 7, prints where it was
 *   ./knob_user reset        back to KNOB_MIN */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "knob_defs.h"

#define USAGE "usage: knob_user get | set N | swap N | reset\n"

int main(int argc, char **argv)
{
	int fd, value = 0, ret;
	const char *command = argc > 1 ? argv[1] : "";
	int wants_value = !strcmp(command, "set") || !strcmp(command, "swap");

	if ((strcmp(command, "get") && strcmp(command, "reset") && !wants_value) ||
	    argc != 2 + wants_value) {
		fputs(USAGE, stderr);
		return 2;
	}
	if (wants_value)
		value = atoi(argv[2]);
	fd = open(KNOB_PATH, O_RDONLY);
	if (fd < 0) {
		perror("knob_user: " KNOB_PATH);
		return 1;
	}
	if (!strcmp(command, "get"))
		ret = ioctl(fd, KNOB_GET, &value);
	else if (!strcmp(command, "set"))
		ret = ioctl(fd, KNOB_SET, &value);
	else if (!strcmp(command, "swap"))
		ret = ioctl(fd, KNOB_SWAP, &value);
	else
		ret = ioctl(fd, KNOB_RESET);
	if (ret < 0) {
		perror("knob_user: " KNOB_PATH);
		close(fd);
		return 1;
	}
	if (!strcmp(command, "get") || !strcmp(command, "swap"))
		printf("%d\n", value);
	close(fd);
	return 0;
}
