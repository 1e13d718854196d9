/// Every option of one component, in the order `surge list` shows them. Parsing rejects unknown keys
/// and bad values with a `ComponentOptionError` that names the component, the key and what it accepts.
package struct ComponentOptionSet: Sendable {
    /// The component's name as `surge serve` knows it (`broker`), used in error messages.
    package let component: String
    package let options: [ComponentOption]

    package init(component: String, _ options: [ComponentOption]) {
        precondition(Set(options.map(\.name)).count == options.count, "\(component): an option is declared twice")
        self.component = component
        self.options = options
    }

    package var names: [String] { options.map(\.name) }

    package func option(named name: String) -> ComponentOption? { options.first { $0.name == name } }

    /// Parses `key=value` switches; keys not given take their declared default. Keys are checked in
    /// sorted order, so the first error reported does not depend on dictionary order.
    package func parse(_ raw: [String: String]) throws(ComponentOptionError) -> ParsedComponentOptions {
        var values: [String: ComponentOptionValue] = [:]
        for option in options { values[option.name] = option.defaultValue }
        for key in raw.keys.sorted() {
            let text = raw[key] ?? ""
            guard let option = option(named: key) else {
                throw ComponentOptionError(
                    component: component, key: key, value: text,
                    accepted: "one of the options " + names.joined(separator: ", "))
            }
            guard let value = option.parse(text) else {
                throw ComponentOptionError(component: component, key: key, value: text, accepted: option.accepted)
            }
            values[key] = value
        }
        return ParsedComponentOptions(component: component, values: values, given: Set(raw.keys))
    }

    /// Every problem in `raw`, one per bad key, in key order (for `surge validate`).
    package func problems(in raw: [String: String]) -> [ComponentOptionError] {
        raw.keys.sorted().compactMap { key -> ComponentOptionError? in
            do throws(ComponentOptionError) {
                _ = try parse([key: raw[key] ?? ""])
                return nil
            } catch {
                return error
            }
        }
    }
}

/// The values of a component's options after `ComponentOptionSet.parse`: every declared option has
/// one (given or default). Reading an undeclared name, or with the wrong type, is a programming error.
package struct ParsedComponentOptions: Sendable {
    package let component: String
    private let values: [String: ComponentOptionValue]
    /// The keys the user gave (the rest hold defaults).
    package let given: Set<String>

    init(component: String, values: [String: ComponentOptionValue], given: Set<String>) {
        self.component = component
        self.values = values
        self.given = given
    }

    private func value(_ name: String) -> ComponentOptionValue {
        guard let v = values[name] else { preconditionFailure("\(component) reads undeclared option '\(name)'") }
        return v
    }

    package func flag(_ name: String) -> Bool {
        guard case .flag(let b) = value(name) else {
            preconditionFailure("\(component) option '\(name)' is not a flag")
        }
        return b
    }

    /// An integer or size option.
    package func integer(_ name: String) -> Int {
        guard case .integer(let v) = value(name) else {
            preconditionFailure("\(component) option '\(name)' is not an integer")
        }
        return v
    }

    /// A duration option, in seconds.
    package func seconds(_ name: String) -> Double {
        guard case .seconds(let v) = value(name) else {
            preconditionFailure("\(component) option '\(name)' is not a duration")
        }
        return v
    }

    /// A choice (lowercased) or text option.
    package func text(_ name: String) -> String {
        guard case .text(let v) = value(name) else { preconditionFailure("\(component) option '\(name)' is not text") }
        return v
    }

    /// A choice option as the enum whose raw values are its words.
    package func choice<E: RawRepresentable>(_ name: String, as type: E.Type = E.self) -> E where E.RawValue == String {
        guard let v = E(rawValue: text(name)) else {
            preconditionFailure("\(component) option '\(name)': no case for it")
        }
        return v
    }

    /// The handicap every component declares with `ComponentOption.handicap(per:)`.
    package var handicap: Handicap { Handicap(nanoseconds: integer("handicap-ns")) }
}
