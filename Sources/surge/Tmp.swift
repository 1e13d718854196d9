struct ComponentEntry { var name = ""; var summary = ""; var options: [(name: String, help: String, defaultValue: String)] = [] }
