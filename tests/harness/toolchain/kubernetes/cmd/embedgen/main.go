// Command embedgen writes the two files that cmd/pulumi-resource-kubernetes embeds, the way the
// provider's Makefile does with its generate step:
//
//	embedgen -src DIR -dst DIR -version X.Y.Z
//
// DIR -src is the provider module's cmd/pulumi-resource-kubernetes folder (schema.json and
// terraform-mapping.json); -dst gets schema-embed.json (schema with "version" set) and
// terraform-mapping-embed.json (the mapping, compacted).
package main

import (
	"encoding/json"
	"flag"
	"log"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

func main() {
	src := flag.String("src", "", "folder holding schema.json and terraform-mapping.json")
	dst := flag.String("dst", "", "folder to write the *-embed.json files into")
	version := flag.String("version", "", "provider version to write into the schema")
	flag.Parse()
	if *src == "" || *dst == "" || *version == "" {
		log.Fatal("usage: embedgen -src DIR -dst DIR -version X.Y.Z")
	}

	raw, err := os.ReadFile(filepath.Join(*src, "schema.json"))
	if err != nil {
		log.Fatal(err)
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		log.Fatalf("cannot read schema: %v", err)
	}
	spec.Version = *version
	out, err := json.Marshal(spec)
	if err != nil {
		log.Fatalf("cannot write schema: %v", err)
	}
	if err := os.WriteFile(filepath.Join(*dst, "schema-embed.json"), out, 0o644); err != nil {
		log.Fatal(err)
	}

	raw, err = os.ReadFile(filepath.Join(*src, "terraform-mapping.json"))
	if err != nil {
		log.Fatal(err)
	}
	var mapping interface{}
	if err := json.Unmarshal(raw, &mapping); err != nil {
		log.Fatalf("cannot read terraform mapping: %v", err)
	}
	out, err = json.Marshal(mapping)
	if err != nil {
		log.Fatalf("cannot write terraform mapping: %v", err)
	}
	if err := os.WriteFile(filepath.Join(*dst, "terraform-mapping-embed.json"), out, 0o644); err != nil {
		log.Fatal(err)
	}
}
