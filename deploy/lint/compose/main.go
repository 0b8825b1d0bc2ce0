// compose-lint loads a Compose file the way `docker compose` does (the compose-spec loader, the
// process environment and the project's .env for interpolation, every profile), so an unknown key,
// a wrong type or a dangling reference fails here rather than on `docker compose up`. It also
// refuses an image that is not pinned to a full version: a floating tag (`postgres:15`) changes
// what runs without a change to this repository.
//
//	compose-lint <docker-compose.yml>
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// A full version has at least major.minor (Postgres publishes two numbers, most images three).
var fullVersion = regexp.MustCompile(`^v?[0-9]+\.[0-9]+`)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-lint <docker-compose.yml>")
		os.Exit(2)
	}
	file, err := filepath.Abs(os.Args[1])
	if err != nil {
		fail(os.Args[1], "invalid Compose file", err.Error())
	}
	project, err := load(file)
	if err != nil {
		fail(os.Args[1], "invalid Compose file", err.Error())
	}
	if problems := unpinned(project.Services); len(problems) > 0 {
		fail(os.Args[1], "floating image versions", problems...)
	}
	fmt.Printf("%d services\n", len(project.Services))
}

func load(file string) (*types.Project, error) {
	options, err := cli.NewProjectOptions(
		[]string{file},
		cli.WithWorkingDirectory(filepath.Dir(file)),
		cli.WithOsEnv,
		cli.WithEnvFiles(),
		cli.WithDotEnv,
		cli.WithProfiles([]string{"*"}),
	)
	if err != nil {
		return nil, err
	}
	return options.LoadProject(context.Background())
}

// unpinned names every service that pulls an image without a full version or a digest. A service
// that builds its image names the tag it gives the build, which is not pulled.
func unpinned(services types.Services) []string {
	var problems []string
	for name, service := range services {
		if service.Build != nil {
			continue
		}
		if service.Image == "" {
			problems = append(problems, fmt.Sprintf("services.%s has neither image nor build", name))
			continue
		}
		if !pinned(service.Image) {
			problems = append(problems, fmt.Sprintf(
				"services.%s image %q is not pinned to a full version (for example postgres:15.19) or a digest",
				name, service.Image))
		}
	}
	sort.Strings(problems)
	return problems
}

func pinned(image string) bool {
	if strings.Contains(image, "@sha256:") {
		return true
	}
	// The tag follows the last colon, unless that colon belongs to a registry's port.
	colon := strings.LastIndex(image, ":")
	if colon < 0 || strings.Contains(image[colon:], "/") {
		return false
	}
	return fullVersion.MatchString(image[colon+1:])
}

func fail(file, heading string, problems ...string) {
	fmt.Fprintf(os.Stderr, "%s: %s:\n  %s\n", file, heading, strings.Join(problems, "\n  "))
	os.Exit(1)
}
