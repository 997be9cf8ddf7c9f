// `offerloop evaluate`: off-policy evaluation — what a catalog change would have done, from the
// decision log (`--catalog`, WhatIfCommand.swift).
import ArgumentParser

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "What a new catalog would have done: the logged decisions replayed through its strategy (IPS, SNIPS, DR with 95% intervals).")

    @OptionGroup var whatIf: WhatIfOptions

    @Flag(help: "Print the estimates as JSON.")
    var json = false

    @Option(help: "Also draw the estimates with their intervals (PNG or SVG, by extension; needs python3 with matplotlib).")
    var plot: String?

    func run() throws {
        try WhatIfEvaluation.run(whatIf, json: json, plot: plot)
    }
}
