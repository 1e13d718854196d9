import Broker
import ComponentKit
import HTTPServer
import Mesh
import Router
import StreamProcessor
import SurgeRunner

/// Every component `surge serve` can run. Components know nothing of the harness; this table is
/// the only place that links them, and each brings its own name, summary and declared options.
enum ComponentCatalog {
    static let all: [any ServableComponent.Type] = [
        BrokerServer.self, HTTPServer.self, MeshNode.self, StreamProcessor.self, Router.self,
    ]

    static var names: [String] { all.map { $0.componentName } }

    static func named(_ name: String) -> (any ServableComponent.Type)? {
        all.first { $0.componentName == name }
    }

    /// Tells the scenario validator which components exist and how to check their options.
    static func register() {
        ScenarioValidator.components = all.map { component in
            ScenarioValidator.ComponentCheck(name: component.componentName) { options in
                component.declaredOptions.problems(in: options).map { (key: $0.key, message: $0.description) }
            }
        }
    }
}
