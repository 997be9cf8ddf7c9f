// `offerloop clv fit|customers|check|refit`: BG/NBD + Gamma-Gamma from a transactions CSV, for
// operators and for checking the models against published fits and against a holdout period.
import ArgumentParser
import CSV
import CivilCalendar
import CustomerValue
import Foundation
import ProcessShell
import ProfileCore
import Wire

struct CLVCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clv", abstract: "Fit lifetime-value models to transactions and value customers.",
        subcommands: [Fit.self, Customers.self, Check.self, Refit.self])

    struct Input: ParsableArguments {
        @Option(help: "CSV with header customer_id,date,quantity,amount.")
        var transactions: String

        @Option(help: "Last day of the calibration period, YYYY-MM-DD; later transactions are ignored.")
        var calibrationEnd: String

        @Option(help: "Model time unit: day or week.")
        var period: String = "week"

        @Flag(help: "Print JSON (snake_case keys).")
        var json = false

        var periodDays: Double {
            get throws {
                switch period {
                case "day": 1
                case "week": 7
                default: throw ValidationError("period must be day or week, not '\(period)'")
                }
            }
        }

        var calibrationDay: Int {
            get throws {
                guard let end = CivilDate(calibrationEnd) else { throw ValidationError("calibration end '\(calibrationEnd)' is not YYYY-MM-DD") }
                return end.daysSinceEpoch
            }
        }

        /// Every purchase in the file; any bad line stops the command with every bad line listed.
        func purchases() throws -> [Purchase] {
            var reader = try CSVReader(contentsOf: transactions)
            let columns = try reader.header(required: TransactionRow.required, optional: TransactionRow.optional)
            var purchases: [Purchase] = []
            var errors: [CSVError] = []
            while let (line, fields) = try reader.next() {
                if line % 1_000_000 == 0 { printError("read \(line / 1_000_000) million lines…") }
                guard fields.count == columns.count else {
                    errors.append(CSVError(file: reader.file, line: line, "expected \(columns.count) fields, found \(fields.count)"))
                    continue
                }
                do {
                    let row = try TransactionRow(fields: fields, columns: columns)
                    purchases.append(Purchase(customerID: row.customerID, day: row.day, quantity: Int(row.quantity), amount: row.amount))
                } catch {
                    errors.append(CSVError(file: reader.file, line: line, error.message))
                }
            }
            guard errors.isEmpty else {
                errors.prefix(100).forEach { printError($0.description) }
                printError("\(errors.count) bad lines: nothing fitted")
                throw ExitCode(2)
            }
            return purchases
        }

        /// Every customer's summary at the end of the calibration period.
        func summaries() throws -> [String: CustomerSummary] {
            let end = try calibrationDay
            return CustomerSummary.summarize(try purchases(), endDay: end, periodDays: try periodDays)
        }

        func print(_ value: some Encodable, table: () -> String) throws {
            if json {
                let encoder = JSONEncoder()
                encoder.keyEncodingStrategy = .convertToSnakeCase
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                Swift.print(String(decoding: try encoder.encode(value), as: UTF8.self))
            } else {
                Swift.print(table())
            }
        }
    }

    struct FitResult: Codable {
        let customers: Int
        /// Distinct (x, t_x, T) the BG/NBD fit summed over.
        let groups: Int
        let r, alpha, a, b, logLikelihood: Double
        let p, q, gamma, spendLogLikelihood: Double
        /// Every parameter with its standard error and 95 % interval (from the Hessian).
        let parameters: [ParameterEstimate]
        /// "bfgs", or "nelder-mead" where the quasi-Newton method did not converge.
        let method, spendMethod: String
        /// The fits alone, without reading the file.
        let seconds: Double
    }

    static func fit(_ summaries: some Collection<CustomerSummary>) -> (ValueModel, FitResult) {
        let started = Date()
        // Where the time goes, on stderr: grouping, then each fit with its likelihood evaluations.
        func lap(_ what: String) { printError(what + String(format: " (%.3f s)", Date().timeIntervalSince(started))) }
        let groups = RepeatBuyingGroups(summaries)
        lap("fitting BG/NBD to \(groups.customers) customers: \(groups.count) distinct histories")
        let bg = BGNBD.fit(groups)
        lap("BG/NBD fitted: \(bg.evaluations) evaluations, \(bg.method)")
        let spendGroups = SpendGroups(summaries)
        lap("fitting Gamma-Gamma to \(spendGroups.customers) repeat customers: \(spendGroups.count) distinct (x, m̄)")
        let gg = GammaGamma.fit(spendGroups)
        lap("Gamma-Gamma fitted: \(gg.evaluations) evaluations, \(gg.method)")
        let result = FitResult(customers: groups.customers, groups: groups.count, r: bg.model.r, alpha: bg.model.alpha, a: bg.model.a, b: bg.model.b,
                               logLikelihood: bg.logLikelihood, p: gg.model.p, q: gg.model.q, gamma: gg.model.gamma, spendLogLikelihood: gg.logLikelihood,
                               parameters: bg.parameters + gg.parameters, method: bg.method, spendMethod: gg.method,
                               seconds: Date().timeIntervalSince(started))
        return (ValueModel(purchases: bg.model, spend: gg.model), result)
    }

    struct Fit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the BG/NBD and Gamma-Gamma parameters with standard errors and 95 % intervals, and the log-likelihoods.")
        @OptionGroup var input: Input

        func run() throws {
            let (_, result) = CLVCommand.fit(try input.summaries().values)
            try input.print(result) {
                let rows = result.parameters.map { e in
                    e.name.padding(toLength: 6, withPad: " ", startingAt: 0) + String(format: " %10.4f", e.value) + (e.standardError.map {
                        String(format: " %10.4f  [%.4f, %.4f]", $0, e.lower95 ?? .nan, e.upper95 ?? .nan)
                    } ?? "  (no standard error: the likelihood is flat here)")
                }
                return (["parameter      value   std error  95 % interval"] + rows + [
                    String(format: "BG/NBD log-likelihood %.4f  (%d customers, %d distinct histories, ", result.logLikelihood, result.customers,
                           result.groups) + result.method + ")",
                    String(format: "Gamma-Gamma log-likelihood %.4f  (", result.spendLogLikelihood) + result.spendMethod + ")",
                    String(format: "fitted in %.3f s", result.seconds)]).joined(separator: "\n")
            }
        }
    }

    struct CustomerValueRow: Codable {
        let customerId: String
        let frequency, recency, T, monetaryValue: Double
        let pAlive, expectedPurchases52W, clv: Double

        enum CodingKeys: String, CodingKey {
            case customerId, frequency, recency, monetaryValue, pAlive, clv
            case T = "T"
            case expectedPurchases52W = "expected_purchases_52w"
        }
    }

    struct Customers: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Per customer: frequency, recency, T, monetary value, P(alive), expected purchases in 52 weeks, CLV.")
        @OptionGroup var input: Input

        @Option(help: "CLV horizon in months.")
        var horizonMonths: Int = 12

        @Option(help: "Monthly discount rate.")
        var monthlyDiscount: Double = 0.01

        @Option(help: "Customer ids, comma-separated (default: all).")
        var ids: String?

        func run() throws {
            let summaries = try input.summaries()
            var (model, _) = CLVCommand.fit(summaries.values)
            model.periodDays = try input.periodDays
            let wanted = ids.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
                ?? summaries.keys.sorted { ($0.count, $0) < ($1.count, $1) }
            let rows = try wanted.map { id -> CustomerValueRow in
                guard let c = summaries[id] else { throw ValidationError("customer \(id) has no transactions by the calibration end") }
                return CustomerValueRow(customerId: id, frequency: c.frequency, recency: c.recency, T: c.age, monetaryValue: c.monetaryValue,
                                        pAlive: model.purchases.probabilityAlive(c), expectedPurchases52W: model.expectedPurchasesInAYear(c),
                                        clv: model.clv(c, months: horizonMonths, monthlyDiscount: monthlyDiscount))
            }
            try input.print(rows) {
                (["customer      x      t_x        T   m_bar  P(alive)  E[52w]      CLV"] + rows.map {
                    $0.customerId.padding(toLength: 8, withPad: " ", startingAt: 0) + String(format: " %5.0f %8.3f %8.3f %7.2f %9.4f %7.4f %8.2f", $0.frequency, $0.recency, $0.T,
                           $0.monetaryValue, $0.pAlive, $0.expectedPurchases52W, $0.clv)
                }).joined(separator: "\n")
            }
        }
    }

    struct CheckResult: Codable {
        let calibrationEnd, holdoutEnd: String
        let customers: Int
        let holdoutPeriods: Double
        let r, alpha, a, b: Double
        let byFrequency: [CalibrationHoldout.FrequencyGroup]
        let plot: String
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fit on the calibration period and compare predicted with actual repeat purchases in the holdout period, by calibration frequency; draws the plot (SVG).")
        @OptionGroup var input: Input

        @Option(help: "Last day of the holdout period, YYYY-MM-DD.")
        var holdoutEnd: String

        @Option(help: "Where to write the plot (SVG).")
        var plot: String = "clv-check.svg"

        func run() throws {
            let calibrationDay = try input.calibrationDay
            guard let holdout = CivilDate(holdoutEnd) else { throw ValidationError("holdout end '\(holdoutEnd)' is not YYYY-MM-DD") }
            guard holdout.daysSinceEpoch > calibrationDay else {
                throw ValidationError("holdout end \(holdoutEnd) must come after the calibration end \(input.calibrationEnd)")
            }
            let check = CalibrationHoldout(try input.purchases(), calibrationEnd: calibrationDay, holdoutEnd: holdout.daysSinceEpoch,
                                           periodDays: try input.periodDays)
            let model = BGNBD.fit(check.customers.map(\.calibration)).model
            let groups = check.byFrequency(model)
            let title = "Actual and predicted repeat purchases after \(input.calibrationEnd), to \(holdoutEnd)"
            try CalibrationPlot(groups: groups, title: title).svg().write(toFile: plot, atomically: true, encoding: .utf8)
            let result = CheckResult(calibrationEnd: input.calibrationEnd, holdoutEnd: holdoutEnd, customers: check.customers.count,
                                     holdoutPeriods: check.holdoutPeriods, r: model.r, alpha: model.alpha, a: model.a, b: model.b,
                                     byFrequency: groups, plot: plot)
            try input.print(result) {
                (["BG/NBD fitted to \(result.customers) customers up to \(input.calibrationEnd): "
                    + String(format: "r = %.4f  alpha = %.4f  a = %.4f  b = %.4f", model.r, model.alpha, model.a, model.b),
                  "mean repeat purchases in the holdout (" + String(format: "%.2f", check.holdoutPeriods)
                    + " \(input.period)s to \(holdoutEnd)), by repeat purchases in calibration:",
                  "repeat purchases  customers    actual  predicted"]
                 + groups.map {
                     String(repeating: " ", count: max(0, 16 - $0.frequency.count)) + $0.frequency
                         + String(format: " %10d %9.4f %10.4f", $0.customers, $0.actual, $0.predicted)
                 }
                 + ["plot: \(plot)"]).joined(separator: "\n")
            }
        }
    }

    struct Refit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Refit the profile service's value model from every stored transaction (every replica picks it up within 10 s).")
        @OptionGroup var client: ClientOptions

        func run() throws {
            let started = Date()
            let reply: FitValueModelReply = try CustomerCommand.call(client, "fit_value_model", FitValueModelRequest(), timeoutMicros: 600_000_000)
            print(String(format: "BG/NBD r = %.4f alpha = %.4f a = %.4f b = %.4f (log-likelihood %.2f, %d customers); Gamma-Gamma p = %.4f q = %.4f gamma = %.4f",
                         reply.r, reply.alpha, reply.a, reply.b, reply.logLikelihood, reply.customers, reply.p, reply.q, reply.gamma))
            print("value tiers start at CLV " + reply.tierThresholds.map { String(format: "%.2f", $0) }.joined(separator: ", "))
            print(String(format: "refitted in %.2f s", Date().timeIntervalSince(started)))
        }
    }
}
