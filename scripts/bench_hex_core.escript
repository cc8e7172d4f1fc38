#!/usr/bin/env escript
%%! -noshell
%% The second baseline of scripts/bench_build.ts: the hex_core that rebar3
%% bundles (r3_hex_tarball) builds a package of the same files. Loads the
%% r3_hex* modules out of the rebar3 escript, reads the entries to pack (one
%% path a line, relative to PROJECT_DIR), calls r3_hex_tarball:create/3 with
%% {Path, AbsPath} pairs and writes the tarball to OUT. Prints the milliseconds
%% create/3 took, then the tarball's size. create/3 is create/2 with the size
%% limits of the config lifted: rebar3 3.19's hex_core refuses more than 64 MiB
%% uncompressed, and the benchmark packs 100 MiB.
%%
%% usage: bench_hex_core.escript REBAR3 PROJECT_DIR ENTRIES_FILE OUT
main([Rebar3, Dir, EntriesFile, Out]) ->
    load_hex_core(Rebar3),
    {ok, List} = file:read_file(EntriesFile),
    Paths = [binary_to_list(P) || P <- binary:split(List, <<"\n">>, [global, trim_all])],
    Metadata = #{
        <<"name">> => <<"bench_app">>,
        <<"app">> => <<"bench_app">>,
        <<"version">> => <<"1.0.0">>,
        <<"description">> => <<"A generated application for hexpub's build benchmark">>,
        <<"licenses">> => [<<"Apache-2.0">>],
        <<"build_tools">> => [<<"rebar3">>],
        <<"requirements">> => #{},
        <<"files">> => [list_to_binary(P) || P <- Paths]
    },
    Files = [{P, filename:join(Dir, P)} || P <- Paths],
    Start = erlang:monotonic_time(millisecond),
    Config = maps:merge(r3_hex_core:default_config(), #{
        tarball_max_size => infinity,
        tarball_max_uncompressed_size => infinity
    }),
    Tarball = tarball(r3_hex_tarball:create(Metadata, Files, Config)),
    Ms = erlang:monotonic_time(millisecond) - Start,
    ok = file:write_file(Out, Tarball),
    io:format("~b~n~b~n", [Ms, byte_size(Tarball)]);
main(_) ->
    io:format(standard_error, "usage: bench_hex_core.escript REBAR3 PROJECT_DIR ENTRIES_FILE OUT~n", []),
    halt(2).

%% hex_core returns a map since 0.6; older ones a {Tarball, Checksum} pair.
tarball({ok, #{tarball := T}}) -> T;
tarball({ok, {T, _Checksum}}) -> T;
tarball(Error) ->
    io:format(standard_error, "r3_hex_tarball:create/3 failed: ~tp~n", [Error]),
    halt(1).

load_hex_core(Rebar3) ->
    {ok, Sections} = escript:extract(Rebar3, []),
    {archive, Zip} = lists:keyfind(archive, 1, Sections),
    {ok, Beams} = zip:extract(Zip, [memory, {file_filter, fun(F) -> hex_beam(element(2, F)) end}]),
    [{module, _} = code:load_binary(list_to_atom(filename:basename(N, ".beam")), N, B)
     || {N, B} <- Beams],
    ok.

hex_beam(Name) ->
    lists:prefix("rebar/ebin/r3_hex", Name) orelse lists:prefix("rebar/ebin/r3_safe", Name).
